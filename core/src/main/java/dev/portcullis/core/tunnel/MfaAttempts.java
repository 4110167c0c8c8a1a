package dev.portcullis.core.tunnel;

import static dev.portcullis.core.store.Database.instant;
import static dev.portcullis.core.store.Database.timestamp;

import dev.portcullis.core.location.MfaMethod;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * Started MFA attempts ({@code mfa_attempts}) inside the caller's transaction: one per device and
 * location, single use, found by the hash of their bearer id (the device) or of their hand-off
 * token (the browser), always locked ({@code FOR UPDATE}) so that concurrent finishes of one
 * attempt run one after the other.
 */
final class MfaAttempts {

    private static final String COLUMNS = "a.id_sha256, a.device_id, a.user_id, a.location, a.method, a.webauthn_request, "
            + "a.asserted_at, a.expires_at, u.name AS user_name, d.name AS device_name";
    private static final String FROM = " FROM mfa_attempts a JOIN users u ON u.id = a.user_id JOIN devices d ON d.id = a.device_id ";

    private MfaAttempts() {
    }

    /** A stored attempt; never its bearer values, which core does not have. */
    record Attempt(byte[] idSha256, UUID deviceId, UUID userId, String user, String device, String location, MfaMethod method,
                   Optional<String> webauthnRequest, Optional<Instant> assertedAt, Instant expiresAt) {

        boolean expired(Instant now) {
            return !expiresAt.isAfter(now);
        }
    }

    /** Stores a new attempt, ending the device's earlier attempt at the location (and any expired one). */
    static void insert(Connection connection, AttemptId id, Optional<HandoffToken> handoff, UUID deviceId, UUID userId,
                       String location, MfaMethod method, String sourceAddress, Instant now, Instant expiresAt)
            throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement(
                "DELETE FROM mfa_attempts WHERE (device_id = ? AND location = ?) OR expires_at <= ?")) {
            delete.setObject(1, deviceId);
            delete.setString(2, location);
            delete.setObject(3, timestamp(now));
            delete.executeUpdate();
        }
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO mfa_attempts (id_sha256, device_id, user_id, location, method, handoff_sha256, source_address, "
                        + "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            insert.setBytes(1, id.sha256());
            insert.setObject(2, deviceId);
            insert.setObject(3, userId);
            insert.setString(4, location);
            insert.setString(5, method.name());
            insert.setBytes(6, handoff.map(HandoffToken::sha256).orElse(null));
            insert.setString(7, sourceAddress.length() > 64 ? sourceAddress.substring(0, 64) : sourceAddress);
            insert.setObject(8, timestamp(now));
            insert.setObject(9, timestamp(expiresAt));
            insert.executeUpdate();
        }
    }

    static Optional<Attempt> lockById(Connection connection, AttemptId id) throws SQLException {
        return lock(connection, "a.id_sha256 = ?", id.sha256());
    }

    static Optional<Attempt> lockByHandoff(Connection connection, HandoffToken token) throws SQLException {
        return lock(connection, "a.handoff_sha256 = ?", token.sha256());
    }

    /** Whose attempt the hand-off token belongs to, without locking it (to take the user's lock first). */
    static Optional<UUID> userOfHandoff(Connection connection, HandoffToken token) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT user_id FROM mfa_attempts WHERE handoff_sha256 = ?")) {
            select.setBytes(1, token.sha256());
            try (ResultSet rs = select.executeQuery()) {
                return rs.next() ? Optional.of(rs.getObject(1, UUID.class)) : Optional.empty();
            }
        }
    }

    private static Optional<Attempt> lock(Connection connection, String where, byte[] hash) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT " + COLUMNS + FROM + "WHERE " + where + " FOR UPDATE OF a")) {
            select.setBytes(1, hash);
            try (ResultSet rs = select.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new Attempt(rs.getBytes("id_sha256"), rs.getObject("device_id", UUID.class),
                        rs.getObject("user_id", UUID.class), rs.getString("user_name"), rs.getString("device_name"),
                        rs.getString("location"), MfaMethod.valueOf(rs.getString("method")),
                        Optional.ofNullable(rs.getString("webauthn_request")), Optional.ofNullable(instant(rs, "asserted_at")),
                        instant(rs, "expires_at")));
            }
        }
    }

    /** Ends the attempt: finished, expired or replaced. */
    static void delete(Connection connection, Attempt attempt) throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement("DELETE FROM mfa_attempts WHERE id_sha256 = ?")) {
            delete.setBytes(1, attempt.idSha256());
            delete.executeUpdate();
        }
    }

    /** Keeps the browser's current assertion request (or none, once it is taken for verification). */
    static void setRequest(Connection connection, Attempt attempt, String requestJson) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE mfa_attempts SET webauthn_request = ? WHERE id_sha256 = ?")) {
            update.setString(1, requestJson);
            update.setBytes(2, attempt.idSha256());
            update.executeUpdate();
        }
    }

    /** The browser's assertion verified: the device's next finish admits. */
    static void markAsserted(Connection connection, Attempt attempt, Instant now) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE mfa_attempts SET asserted_at = ?, webauthn_request = NULL WHERE id_sha256 = ?")) {
            update.setObject(1, timestamp(now));
            update.setBytes(2, attempt.idSha256());
            update.executeUpdate();
        }
    }
}
