package dev.portcullis.pki.join;

import dev.portcullis.pki.cert.CaFingerprint;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The one-time token that lets a new component join: which component it is for, a public token
 * id, a 256-bit secret and the fingerprint of the CA the component must pin.
 * Text form: {@code pcj1.<component id>.<token id>.<secret>.<CA fingerprint>} (base64url, no padding).
 * <p>
 * Only the object returned by {@link #mint} or {@link #parse} holds the secret; core stores
 * {@link #secretHash()}. {@code toString} never shows the secret.
 */
public final class JoinToken {

    public static final String PREFIX = "pcj1";
    /** 256 bits: the token is an online credential, but it is also cheap to make it unguessable. */
    public static final int SECRET_BYTES = 32;
    private static final int TOKEN_ID_BYTES = 8;
    /** Longest text form we accept; a real token is about 150 characters. */
    public static final int MAX_TEXT_LENGTH = 512;
    private static final Pattern TOKEN_ID = Pattern.compile("[0-9a-f]{16}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String componentId;
    private final String tokenId;
    private final byte[] secret;
    private final CaFingerprint caFingerprint;

    private JoinToken(String componentId, String tokenId, byte[] secret, CaFingerprint caFingerprint) {
        this.componentId = Objects.requireNonNull(componentId);
        this.tokenId = Objects.requireNonNull(tokenId);
        this.secret = secret.clone();
        this.caFingerprint = Objects.requireNonNull(caFingerprint);
    }

    public static JoinToken mint(String componentId, CaFingerprint caFingerprint) {
        byte[] id = new byte[TOKEN_ID_BYTES];
        byte[] secret = new byte[SECRET_BYTES];
        RANDOM.nextBytes(id);
        RANDOM.nextBytes(secret);
        return new JoinToken(componentId, HexFormat.of().formatHex(id), secret, caFingerprint);
    }

    public static JoinToken parse(String text) throws MalformedTokenException {
        if (text == null || text.isBlank() || text.length() > MAX_TEXT_LENGTH) {
            throw new MalformedTokenException();
        }
        String[] parts = text.strip().split("\\.", -1);
        if (parts.length != 5 || !PREFIX.equals(parts[0]) || !TOKEN_ID.matcher(parts[2]).matches()) {
            throw new MalformedTokenException();
        }
        try {
            byte[] secret = Base64.getUrlDecoder().decode(parts[3]);
            byte[] fingerprint = Base64.getUrlDecoder().decode(parts[4]);
            if (secret.length != SECRET_BYTES || fingerprint.length != 32 || parts[1].isEmpty()) {
                throw new MalformedTokenException();
            }
            return new JoinToken(parts[1], parts[2], secret, CaFingerprint.fromBytes(fingerprint));
        } catch (IllegalArgumentException e) {
            throw new MalformedTokenException();
        }
    }

    /** The full text, including the secret. Show it once, to the admin who asked for it. */
    public String reveal() {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return String.join(".", PREFIX, componentId, tokenId, b64.encodeToString(secret),
                b64.encodeToString(caFingerprint.bytes()));
    }

    public String componentId() {
        return componentId;
    }

    public String tokenId() {
        return tokenId;
    }

    public CaFingerprint caFingerprint() {
        return caFingerprint;
    }

    /** The secret, for sending to core over a channel whose peer proved it holds the pinned CA's certificate. */
    public byte[] secret() {
        return secret.clone();
    }

    /** What core stores. The secret has 256 bits of entropy, so a plain hash is not brute-forceable. */
    public byte[] secretHash() {
        return hash(secret);
    }

    public static byte[] hash(byte[] secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Constant-time check of a presented secret against a stored hash. */
    public static boolean secretMatches(byte[] presentedSecret, byte[] storedHash) {
        if (presentedSecret == null || presentedSecret.length != SECRET_BYTES || storedHash == null) {
            return false;
        }
        return MessageDigest.isEqual(hash(presentedSecret), storedHash);
    }

    @Override
    public String toString() {
        return "JoinToken[component=" + componentId + ", id=" + tokenId + ", ca=" + caFingerprint + ", secret=<redacted>]";
    }

    /** Deliberately says nothing about which part was wrong. */
    public static final class MalformedTokenException extends Exception {
        private static final long serialVersionUID = 1L;

        public MalformedTokenException() {
            super("join token is malformed (expected pcj1.<component>.<id>.<secret>.<ca>; copy it again from 'portcullis-admin component add')");
        }
    }
}
