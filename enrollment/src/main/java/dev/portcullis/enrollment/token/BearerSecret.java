package dev.portcullis.enrollment.token;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * What every 256-bit bearer secret shares: minting, strict parsing, the one revealing accessor,
 * the stored hash and constant-time comparison. Each role ({@link InviteToken}, {@link ResetToken},
 * {@link SessionSecret}) is its own final type so one can never be passed where another is meant.
 * <p>
 * The stored hash is SHA-256 over the 32 raw bytes (not over the text). A plain, unsalted hash is
 * enough: 256 random bits cannot be brute-forced, so a leaked hash table does not reveal the secrets.
 * <p>
 * Sealed, and its subclasses final, so nothing can override these methods; they are not declared
 * {@code final} themselves because javac then gives each public subclass public bridge methods,
 * without which reflective callers (frameworks, AssertJ) could not reach them through this
 * package-private class.
 */
abstract sealed class BearerSecret permits InviteToken, ResetToken, SessionSecret {

    /** 256 bits: unguessable online and offline, and the API contract fixes it. */
    static final int BYTES = 32;
    /** base64url without padding of 32 bytes is always exactly 43 characters. */
    static final int TEXT_LENGTH = 43;
    private static final Pattern BASE64URL = Pattern.compile("[A-Za-z0-9_-]{" + TEXT_LENGTH + "}");
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] secret;

    BearerSecret(byte[] secret) {
        if (secret == null || secret.length != BYTES) {
            throw new IllegalArgumentException("a bearer secret is 32 bytes");
        }
        this.secret = secret.clone();
    }

    static <T extends BearerSecret> T mint(Function<byte[], T> constructor) {
        byte[] bytes = new byte[BYTES];
        RANDOM.nextBytes(bytes);
        try {
            return constructor.apply(bytes);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    /**
     * Accepts only the canonical text form: exactly 43 base64url characters that decode to 32 bytes
     * and encode back to the same text. The length is checked before anything else, so hostile input
     * of any size costs nothing; nothing here throws.
     */
    static <T extends BearerSecret> Optional<T> parse(String text, Function<byte[], T> constructor) {
        if (text == null || text.length() != TEXT_LENGTH || !BASE64URL.matcher(text).matches()) {
            return Optional.empty();
        }
        byte[] bytes;
        try {
            bytes = Base64.getUrlDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        try {
            // 43 characters carry 258 bits; the last 2 must be zero or two texts would name one secret.
            if (bytes.length != BYTES || !ENCODER.encodeToString(bytes).equals(text)) {
                return Optional.empty();
            }
            return Optional.of(constructor.apply(bytes));
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    /** The base64url text (43 characters). The only way to get the plaintext: show it once. */
    public String reveal() {
        return ENCODER.encodeToString(secret);
    }

    /** SHA-256 over the 32 raw bytes: what core stores. A fresh copy on every call. */
    public byte[] sha256() {
        return sha256Of(secret);
    }

    /** Constant-time comparison of this secret's SHA-256 with a stored one; false for null or a wrong length. */
    public boolean matchesHash(byte[] storedSha256) {
        if (storedSha256 == null || storedSha256.length != BYTES) {
            return false;
        }
        return MessageDigest.isEqual(sha256(), storedSha256);
    }

    static byte[] sha256Of(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JRE lacks SHA-256", e);
        }
    }

    /** Equal only to the same role holding the same bytes; compared in constant time. */
    @Override
    public boolean equals(Object o) {
        return o != null && o.getClass() == getClass() && MessageDigest.isEqual(secret, ((BearerSecret) o).secret);
    }

    /** Derived from the role only, never from the secret bytes. */
    @Override
    public int hashCode() {
        return getClass().getName().hashCode();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[<redacted>]";
    }
}
