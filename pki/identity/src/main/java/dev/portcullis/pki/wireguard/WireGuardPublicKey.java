package dev.portcullis.pki.wireguard;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/** A WireGuard (Curve25519) public key: 32 bytes. Public, but compared in constant time all the same. */
public final class WireGuardPublicKey {

    public static final int BYTES = 32;
    private final byte[] key;

    private WireGuardPublicKey(byte[] key) {
        if (key == null || key.length != BYTES) {
            throw new IllegalArgumentException("a WireGuard public key is 32 bytes");
        }
        this.key = key.clone();
    }

    public static WireGuardPublicKey fromBytes(byte[] key) {
        return new WireGuardPublicKey(key);
    }

    /** From the base64 form {@code wg} prints. */
    public static WireGuardPublicKey fromBase64(String base64) {
        try {
            return new WireGuardPublicKey(Base64.getDecoder().decode(base64.strip()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a base64 WireGuard public key");
        }
    }

    /** From the lower-case hex form the UAPI protocol uses. */
    public static WireGuardPublicKey fromHex(String hex) {
        try {
            return new WireGuardPublicKey(HexFormat.of().parseHex(hex));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a hex WireGuard public key");
        }
    }

    public byte[] bytes() {
        return key.clone();
    }

    public String base64() {
        return Base64.getEncoder().encodeToString(key);
    }

    public String hex() {
        return HexFormat.of().formatHex(key);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WireGuardPublicKey other && MessageDigest.isEqual(key, other.key);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(key);
    }

    @Override
    public String toString() {
        return base64();
    }
}
