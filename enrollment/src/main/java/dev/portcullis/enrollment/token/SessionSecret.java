package dev.portcullis.enrollment.token;

import java.util.Optional;

/**
 * A session cookie value or a CSRF value of an enrollment or reset session. Core stores {@link #sha256()} and compares with {@link #matchesHash(byte[])}.
 * {@code toString} never shows the secret.
 */
public final class SessionSecret extends BearerSecret {

    private SessionSecret(byte[] secret) {
        super(secret);
    }

    /** 32 fresh bytes from {@link java.security.SecureRandom}. */
    public static SessionSecret mint() {
        return BearerSecret.mint(SessionSecret::new);
    }

    /** The canonical 43-character base64url text, or empty for anything else. Never throws. */
    public static Optional<SessionSecret> parse(String text) {
        return BearerSecret.parse(text, SessionSecret::new);
    }
}
