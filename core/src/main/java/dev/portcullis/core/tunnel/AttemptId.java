package dev.portcullis.core.tunnel;

import dev.portcullis.enrollment.token.SessionSecret;
import java.util.Optional;

/**
 * The bearer id of one MFA attempt, which the device presents to finish it: 256 random bits,
 * base64url (43 characters). Core stores only its SHA-256; {@code toString} never shows it.
 */
final class AttemptId {

    private final SessionSecret secret;

    private AttemptId(SessionSecret secret) {
        this.secret = secret;
    }

    static AttemptId mint() {
        return new AttemptId(SessionSecret.mint());
    }

    /** The canonical 43-character text, or empty for anything else. Never throws. */
    static Optional<AttemptId> parse(String text) {
        return SessionSecret.parse(text).map(AttemptId::new);
    }

    /** The text, for the one answer that hands it to the device. */
    String reveal() {
        return secret.reveal();
    }

    /** What core stores and looks up. */
    byte[] sha256() {
        return secret.sha256();
    }

    @Override
    public String toString() {
        return "AttemptId[<redacted>]";
    }
}
