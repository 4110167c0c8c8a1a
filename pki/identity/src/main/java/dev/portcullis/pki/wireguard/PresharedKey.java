package dev.portcullis.pki.wireguard;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * A WireGuard preshared key: 32 random bytes, fresh for every tunnel session. A device holds it
 * only after every gateway of the location acknowledged admitting it. {@code toString} never shows it.
 */
public final class PresharedKey {

    public static final int BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();
    private final byte[] key;

    private PresharedKey(byte[] key) {
        if (key == null || key.length != BYTES) {
            throw new IllegalArgumentException("a preshared key is 32 bytes");
        }
        this.key = key.clone();
    }

    public static PresharedKey generate() {
        byte[] key = new byte[BYTES];
        RANDOM.nextBytes(key);
        return new PresharedKey(key);
    }

    public static PresharedKey fromBytes(byte[] key) {
        return new PresharedKey(key);
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
        return o instanceof PresharedKey other && MessageDigest.isEqual(key, other.key);
    }

    @Override
    public int hashCode() {
        return 0; // no hash derived from secret bytes
    }

    @Override
    public String toString() {
        return "PresharedKey[<redacted>]";
    }
}
