package dev.portcullis.core.tunnel;

import dev.portcullis.enrollment.token.SessionSecret;
import java.util.Optional;

/**
 * The one-time token of a WebAuthn attempt's browser hand-off ({@code /mfa/<token>}): the bearer
 * of the browser's two calls. 256 random bits, base64url (43 characters); core stores only its
 * SHA-256; {@code toString} never shows it.
 */
final class HandoffToken {

    private final SessionSecret secret;

    private HandoffToken(SessionSecret secret) {
        this.secret = secret;
    }

    static HandoffToken mint() {
        return new HandoffToken(SessionSecret.mint());
    }

    /** The canonical 43-character text, or empty for anything else. Never throws. */
    static Optional<HandoffToken> parse(String text) {
        return SessionSecret.parse(text).map(HandoffToken::new);
    }

    /** The text, for the one answer that puts it in the browser link. */
    String reveal() {
        return secret.reveal();
    }

    byte[] sha256() {
        return secret.sha256();
    }

    @Override
    public String toString() {
        return "HandoffToken[<redacted>]";
    }
}
