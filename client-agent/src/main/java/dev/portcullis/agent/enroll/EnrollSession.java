package dev.portcullis.agent.enroll;

import java.util.Objects;

/**
 * The enrollment session redeem opened: the {@code __Host-portcullis-enroll} cookie value and the
 * CSRF value. Both are bearer secrets for the next 30 minutes; {@code toString} shows neither.
 */
final class EnrollSession {

    private final String cookie;
    private final String csrf;

    EnrollSession(String cookie, String csrf) {
        this.cookie = Objects.requireNonNull(cookie);
        this.csrf = Objects.requireNonNull(csrf);
    }

    String cookie() {
        return cookie;
    }

    String csrf() {
        return csrf;
    }

    @Override
    public String toString() {
        return "EnrollSession[<redacted>]";
    }
}
