package dev.portcullis.core.enroll;

import java.time.Duration;

/** The two kinds of short browser sessions the public API opens, each with its own cookie and lifetime. */
enum SessionKind {
    /**
     * Opened by redeeming an invite. 30 minutes from redemption, absolute (the API contract): time to
     * set a password, register a factor and a device, short enough that a forgotten tab goes stale.
     */
    ENROLL("__Host-portcullis-enroll", Duration.ofMinutes(30)),
    /** Opened by redeeming a password-reset link: 15 minutes to choose a password and give the second factor. */
    RESET("__Host-portcullis-reset", Duration.ofMinutes(15));

    private final String cookieName;
    private final Duration lifetime;

    SessionKind(String cookieName, Duration lifetime) {
        this.cookieName = cookieName;
        this.lifetime = lifetime;
    }

    String cookieName() {
        return cookieName;
    }

    Duration lifetime() {
        return lifetime;
    }
}
