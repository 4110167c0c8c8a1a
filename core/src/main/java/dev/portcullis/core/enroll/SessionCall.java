package dev.portcullis.core.enroll;

import dev.portcullis.enrollment.token.SessionSecret;
import java.util.Optional;

/**
 * What a call within a session presents: the session cookie, the CSRF header (both empty when
 * missing or malformed) and the client address the edge-proxy reported.
 */
record SessionCall(Optional<SessionSecret> cookie, Optional<SessionSecret> csrf, String sourceAddress) {
}
