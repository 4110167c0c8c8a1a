package dev.portcullis.enrollment.token;

import java.util.Optional;

/**
 * The secret in an invite link ({@code /enroll/<token>}).
 * Core stores {@link #sha256()}; expiry and single use are core's to enforce.
 * {@code toString} never shows the secret.
 */
public final class InviteToken extends BearerSecret {

    private InviteToken(byte[] secret) {
        super(secret);
    }

    /** 32 fresh bytes from {@link java.security.SecureRandom}. */
    public static InviteToken mint() {
        return BearerSecret.mint(InviteToken::new);
    }

    /** The canonical 43-character base64url text, or empty for anything else. Never throws. */
    public static Optional<InviteToken> parse(String text) {
        return BearerSecret.parse(text, InviteToken::new);
    }
}
