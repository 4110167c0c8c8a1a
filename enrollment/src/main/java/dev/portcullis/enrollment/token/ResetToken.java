package dev.portcullis.enrollment.token;

import java.util.Optional;

/**
 * The secret in a password-reset link ({@code /reset/<token>}).
 * Core stores {@link #sha256()}; expiry and single use are core's to enforce.
 * {@code toString} never shows the secret.
 */
public final class ResetToken extends BearerSecret {

    private ResetToken(byte[] secret) {
        super(secret);
    }

    /** 32 fresh bytes from {@link java.security.SecureRandom}. */
    public static ResetToken mint() {
        return BearerSecret.mint(ResetToken::new);
    }

    /** The canonical 43-character base64url text, or empty for anything else. Never throws. */
    public static Optional<ResetToken> parse(String text) {
        return BearerSecret.parse(text, ResetToken::new);
    }
}
