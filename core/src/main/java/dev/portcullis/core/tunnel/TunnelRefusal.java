package dev.portcullis.core.tunnel;

import dev.portcullis.core.error.PortcullisException;
import java.util.OptionalLong;

/**
 * A refusal whose answer carries more than a message (attempts left, the lock, the gateways that did
 * not confirm). {@link #body()} is written as the JSON answer; it never holds a secret.
 */
final class TunnelRefusal extends PortcullisException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final transient Object body;
    private final OptionalLong retryAfterSeconds;

    TunnelRefusal(int status, String message, Object body, OptionalLong retryAfterSeconds) {
        super(message, null);
        this.status = status;
        this.body = body;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    static TunnelRefusal wrongCode(int attemptsLeft) {
        String message = "That code did not match.";
        return new TunnelRefusal(401, message, new TunnelJson.CodeRefused(message, attemptsLeft), OptionalLong.empty());
    }

    static TunnelRefusal replayedCode(int attemptsLeft) {
        String message = "That code was already used. Wait for the next code.";
        return new TunnelRefusal(409, message, new TunnelJson.CodeRefused(message, attemptsLeft), OptionalLong.empty());
    }

    /** 429: the growing delay, or the 15-minute lock (then with {@code "locked":true}). */
    static TunnelRefusal blocked(AttemptLimits.Block block) {
        if (block.locked()) {
            long minutes = Math.max(1, (block.retryAfterSeconds() + 59) / 60);
            String message = "Too many failed attempts: locked for " + minutes + " minute" + (minutes == 1 ? "" : "s")
                    + ". Ask your administrator if this was not you.";
            return new TunnelRefusal(429, message, new TunnelJson.Locked(message, true),
                    OptionalLong.of(block.retryAfterSeconds()));
        }
        String message = "Too many failed attempts. Try again in " + block.retryAfterSeconds() + " second"
                + (block.retryAfterSeconds() == 1 ? "" : "s") + ".";
        return new TunnelRefusal(429, message, new dev.portcullis.core.enroll.PublicJson.Error(message),
                OptionalLong.of(block.retryAfterSeconds()));
    }

    @Override
    public int httpStatus() {
        return status;
    }

    Object body() {
        return body;
    }

    OptionalLong retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
