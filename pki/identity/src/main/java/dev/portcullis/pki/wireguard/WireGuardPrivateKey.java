package dev.portcullis.pki.wireguard;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;

/**
 * A WireGuard (Curve25519) private key. Generated on the host that uses it and never sent
 * anywhere; only {@link #publicKey()} leaves. {@code toString} never shows it.
 */
public final class WireGuardPrivateKey {

    public static final int BYTES = 32;
    private final byte[] key;

    private WireGuardPrivateKey(byte[] key) {
        if (key == null || key.length != BYTES) {
            throw new IllegalArgumentException("a WireGuard private key is 32 bytes");
        }
        this.key = key.clone();
    }

    public static WireGuardPrivateKey generate() {
        X25519PrivateKeyParameters parameters = new X25519PrivateKeyParameters(new SecureRandom());
        return new WireGuardPrivateKey(parameters.getEncoded());
    }

    public static WireGuardPrivateKey fromBytes(byte[] key) {
        return new WireGuardPrivateKey(key);
    }

    public WireGuardPublicKey publicKey() {
        return WireGuardPublicKey.fromBytes(new X25519PrivateKeyParameters(key, 0).generatePublicKey().getEncoded());
    }

    public byte[] bytes() {
        return key.clone();
    }

    /** The UAPI encoding; only for writing to the local device. */
    public String hex() {
        return HexFormat.of().formatHex(key);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WireGuardPrivateKey other && MessageDigest.isEqual(key, other.key);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(publicKey().bytes());
    }

    @Override
    public String toString() {
        return "WireGuardPrivateKey[public=" + publicKey() + ", private=<redacted>]";
    }
}
