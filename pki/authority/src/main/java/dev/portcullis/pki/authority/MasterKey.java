package dev.portcullis.pki.authority;

import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The AES-256 key that seals core's secrets at rest (the CA key among them). It lives outside
 * the database (an owner-only file or a secret manager), so a database backup alone reveals nothing.
 */
public final class MasterKey {

    public static final int BYTES = 32;
    private final byte[] key;

    private MasterKey(byte[] key) {
        if (key.length != BYTES) {
            throw new IllegalArgumentException("a master key is 32 bytes");
        }
        this.key = key.clone();
    }

    public static MasterKey generate() {
        byte[] key = new byte[BYTES];
        new SecureRandom().nextBytes(key);
        return new MasterKey(key);
    }

    public static MasterKey fromBytes(byte[] key) {
        return new MasterKey(key);
    }

    public byte[] bytes() {
        return key.clone();
    }

    SecretKey secretKey() {
        return new SecretKeySpec(key, "AES");
    }

    @Override
    public String toString() {
        return "MasterKey[<redacted>]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MasterKey other && java.security.MessageDigest.isEqual(key, other.key);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new byte[0]);
    }
}
