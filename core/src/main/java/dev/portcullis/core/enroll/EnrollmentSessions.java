package dev.portcullis.core.enroll;

import static dev.portcullis.core.store.Database.instant;
import static dev.portcullis.core.store.Database.timestamp;

import dev.portcullis.core.error.ForbiddenException;
import dev.portcullis.core.error.SessionEndedException;
import dev.portcullis.enrollment.token.SessionSecret;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * Enrollment and reset sessions in PostgreSQL. The browser holds two 256-bit secrets: the session
 * cookie (HttpOnly) and the CSRF value (in the page's memory, sent as a header); core stores only
 * their SHA-256. Every step locks its session row, so two calls of one session never interleave.
 */
final class EnrollmentSessions {

    static final String NO_ENROLLMENT_SESSION =
            "Your enrollment session has ended. Ask your administrator for a new invite link.";
    static final String NO_RESET_SESSION = "Your password reset session has ended. Request a new password reset.";
    static final String BAD_CSRF = "This request did not come from the enrollment page. Reload the page and try again.";

    private EnrollmentSessions() {
    }

    /** A new session's secrets: shown once (cookie and CSRF value), then only their hashes exist. */
    record Opened(SessionSecret cookie, SessionSecret csrf, Instant expiresAt) {
    }

    /** A live session row with its user. Never holds a secret in the clear. */
    record Session(byte[] sessionHash, byte[] csrfHash, SessionKind kind, UUID userId, String userName, String email,
                   String displayName, byte[] userHandle, Instant expiresAt, Optional<byte[]> pendingTotpSecret,
                   Optional<String> pendingWebAuthnRequest, Optional<String> pendingWebAuthnNickname,
                   boolean recoveryCodesShown) {

        /** The actor of this session's events. */
        dev.portcullis.core.audit.Actor actor(String sourceAddress) {
            return dev.portcullis.core.audit.Actor.user(userName, sourceAddress);
        }
    }

    static Opened open(Connection connection, SessionKind kind, UUID userId, Instant now) throws SQLException {
        SessionSecret cookie = SessionSecret.mint();
        SessionSecret csrf = SessionSecret.mint();
        Instant expiresAt = now.plus(kind.lifetime());
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO enrollment_sessions (session_hash, csrf_hash, user_id, kind, created_at, expires_at) "
                        + "VALUES (?, ?, ?, ?, ?, ?)")) {
            insert.setBytes(1, cookie.sha256());
            insert.setBytes(2, csrf.sha256());
            insert.setObject(3, userId);
            insert.setString(4, kind.name());
            insert.setObject(5, timestamp(now));
            insert.setObject(6, timestamp(expiresAt));
            insert.executeUpdate();
        }
        return new Opened(cookie, csrf, expiresAt);
    }

    /**
     * The live session the cookie opens, locked for this transaction ({@code forUpdate}) or not.
     * Live means: not ended, not expired, and its user still in the state the kind needs (INVITED to
     * enroll, ACTIVE to reset).
     *
     * @throws SessionEndedException if there is none
     */
    static Session live(Connection connection, SessionKind kind, Optional<SessionSecret> cookie, Instant now,
                        boolean forUpdate) throws SQLException {
        String ended = kind == SessionKind.ENROLL ? NO_ENROLLMENT_SESSION : NO_RESET_SESSION;
        if (cookie.isEmpty()) {
            throw new SessionEndedException(ended);
        }
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT s.session_hash, s.csrf_hash, s.user_id, s.expires_at, s.pending_totp_secret, "
                        + "s.pending_webauthn_request, s.pending_webauthn_nickname, s.recovery_codes_shown, "
                        + "u.name, u.email, u.display_name, u.user_handle FROM enrollment_sessions s "
                        + "JOIN users u ON u.id = s.user_id WHERE s.session_hash = ? AND s.kind = ? AND s.ended_at IS NULL "
                        + "AND s.expires_at > ? AND u.state = ?" + (forUpdate ? " FOR UPDATE OF s" : ""))) {
            select.setBytes(1, cookie.get().sha256());
            select.setString(2, kind.name());
            select.setObject(3, timestamp(now));
            select.setString(4, kind == SessionKind.ENROLL ? "INVITED" : "ACTIVE");
            try (ResultSet rs = select.executeQuery()) {
                if (!rs.next()) {
                    throw new SessionEndedException(ended);
                }
                return new Session(rs.getBytes("session_hash"), rs.getBytes("csrf_hash"), kind,
                        rs.getObject("user_id", UUID.class), rs.getString("name"), rs.getString("email"),
                        rs.getString("display_name"), rs.getBytes("user_handle"), instant(rs, "expires_at"),
                        Optional.ofNullable(rs.getBytes("pending_totp_secret")),
                        Optional.ofNullable(rs.getString("pending_webauthn_request")),
                        Optional.ofNullable(rs.getString("pending_webauthn_nickname")),
                        rs.getBoolean("recovery_codes_shown"));
            }
        }
    }

    /** The CSRF value must be the one this session was opened with (compared in constant time). */
    static void checkCsrf(Session session, Optional<SessionSecret> csrf) {
        if (csrf.isEmpty() || !csrf.get().matchesHash(session.csrfHash())) {
            throw new ForbiddenException(BAD_CSRF);
        }
    }

    static void end(Connection connection, Session session, Instant now) throws SQLException {
        try (PreparedStatement end = connection.prepareStatement(
                "UPDATE enrollment_sessions SET ended_at = ?, pending_totp_secret = NULL, pending_webauthn_request = NULL "
                        + "WHERE session_hash = ?")) {
            end.setObject(1, timestamp(now));
            end.setBytes(2, session.sessionHash());
            end.executeUpdate();
        }
    }

    static void setPendingTotp(Connection connection, Session session, byte[] sealedSecret) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE enrollment_sessions SET pending_totp_secret = ? WHERE session_hash = ?")) {
            update.setBytes(1, sealedSecret);
            update.setBytes(2, session.sessionHash());
            update.executeUpdate();
        }
    }

    static void setPendingWebAuthn(Connection connection, Session session, String requestJson, String nickname)
            throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE enrollment_sessions SET pending_webauthn_request = ?, pending_webauthn_nickname = ? WHERE session_hash = ?")) {
            update.setString(1, requestJson);
            update.setString(2, nickname);
            update.setBytes(3, session.sessionHash());
            update.executeUpdate();
        }
    }

    /** Marks the recovery codes shown; false if they already were (the caller answers 409). */
    static boolean markRecoveryCodesShown(Connection connection, Session session) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE enrollment_sessions SET recovery_codes_shown = true WHERE session_hash = ? AND NOT recovery_codes_shown")) {
            update.setBytes(1, session.sessionHash());
            return update.executeUpdate() == 1;
        }
    }
}
