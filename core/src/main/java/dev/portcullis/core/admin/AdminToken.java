package dev.portcullis.core.admin;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An admin API credential: a public id and a 256-bit secret. Text form
 * {@code pca1.<id>.<secret>} (16 hex characters, base64url without padding). Core stores only
 * {@link #secretHash()}; the object returned at creation is the only one that ever holds the
 * plaintext. {@code toString} never shows the secret.
 */
public final class AdminToken {

    static final String PREFIX = "pca1";
    /** 256 bits: unguessable online, and a plain SHA-256 of it cannot be brute-forced offline. */
    static final int SECRET_BYTES = 32;
    /** A real token is 66 characters; anything much longer is not one (bounds work per request). */
    static final int MAX_TEXT_LENGTH = 128;
    private static final Pattern TEXT = Pattern.compile("pca1\\.([0-9a-f]{16})\\.([A-Za-z0-9_-]{43})");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String id;
    private final String name;
    private final byte[] secret;

    private AdminToken(String id, String name, byte[] secret) {
        this.id = id;
        this.name = name;
        this.secret = secret.clone();
    }

    static AdminToken mint(String name) {
        byte[] id = new byte[8];
        byte[] secret = new byte[SECRET_BYTES];
        RANDOM.nextBytes(id);
        RANDOM.nextBytes(secret);
        return new AdminToken(HexFormat.of().formatHex(id), name, secret);
    }

    public String id() {
        return id;
    }

    public String name() {
        return name;
    }

    /** The full text, including the secret. Show it once, to whoever created it. */
    public String reveal() {
        return PREFIX + "." + id + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    }

    byte[] secretHash() {
        return hash(secret);
    }

    static byte[] hash(byte[] secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A token as presented in an Authorization header: its id and the hash of its secret. */
    record Presented(String id, byte[] secretHash) {

        static Optional<Presented> parse(String text) {
            if (text == null || text.length() > MAX_TEXT_LENGTH) {
                return Optional.empty();
            }
            var matcher = TEXT.matcher(text.strip());
            if (!matcher.matches()) {
                return Optional.empty();
            }
            byte[] secret = Base64.getUrlDecoder().decode(matcher.group(2));
            return Optional.of(new Presented(matcher.group(1), hash(secret)));
        }
    }

    @Override
    public String toString() {
        return "AdminToken[id=" + id + ", name=" + name + ", secret=<redacted>]";
    }
}
