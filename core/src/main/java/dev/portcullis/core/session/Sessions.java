package dev.portcullis.core.session;

import static dev.portcullis.core.store.Database.instant;
import static dev.portcullis.core.store.Database.timestamp;

import dev.portcullis.core.audit.Actor;
import dev.portcullis.core.audit.SecurityEvents;
import dev.portcullis.core.location.Admissions;
import dev.portcullis.core.location.Locations;
import dev.portcullis.core.store.Database;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The live MFA tunnel sessions (location_peers rows with an owner) as users and admins see them,
 * and their revocation. Peers an admin admitted by hand ({@code peer admit}) are not sessions here.
 */
public final class Sessions {

    /** Session ids are 22 URL-safe base64 characters (16 random bytes); anything else names no session. */
    private static final String SESSION_ID = "[A-Za-z0-9_-]{22}";
    /** One page of sessions: a location holds at most this many peers anyway. */
    static final int MAX_LISTED = 10_000;

    private static final String SELECT = "SELECT p.session_id, p.location, p.user_id, u.name AS user_name, p.device_id, "
            + "d.name AS device_name, p.mfa_method, p.created_at, p.not_after, l.idle_timeout_seconds, p.last_handshake_at, "
            + "p.first_endpoint, p.public_key, COALESCE(l.reauth_on_endpoint_change, false) AS reauth FROM location_peers p JOIN users u ON u.id = p.user_id "
            + "JOIN devices d ON d.id = p.device_id LEFT JOIN locations l ON l.name = p.location "
            + "WHERE p.user_id IS NOT NULL AND p.not_after > ? ";

    /**
     * A live session, never with its key. {@code lastHandshake} counts only handshakes of this
     * session; {@code endpoint} is where a gateway first saw the device in it.
     */
    public record SessionView(String id, String location, UUID userId, String user, UUID deviceId, String device,
                              String method, Instant startedAt, Instant notAfter, Duration idleTimeout,
                              Optional<Instant> lastHandshake, Optional<String> endpoint) {
    }

    private final Database database;
    private final Admissions admissions;
    private final SecurityEvents events;
    private final Clock clock;

    public Sessions(Database database, Admissions admissions, SecurityEvents events, Clock clock) {
        this.database = database;
        this.admissions = admissions;
        this.events = events;
        this.clock = clock;
    }

    /** Live MFA sessions, newest first, of one location and/or one user if given. */
    public List<SessionView> list(Optional<String> location, Optional<UUID> userId) {
        return database.inTransaction(connection -> select(connection,
                "AND (?::text IS NULL OR p.location = ?) AND (?::uuid IS NULL OR p.user_id = ?) "
                        + "ORDER BY p.created_at DESC, p.session_id LIMIT " + MAX_LISTED,
                location.orElse(null), location.orElse(null), userId.orElse(null), userId.orElse(null))
                .stream().map(Row::view).toList());
    }

    public Optional<SessionView> find(String sessionId) {
        return row(sessionId).map(Row::view);
    }

    /** Evicts now (reason revoked); false if no live MFA session with that id, or (owner present) not that user's. */
    public boolean revoke(String sessionId, Optional<UUID> owner, Actor actor) {
        Optional<Row> row = row(sessionId);
        if (row.isEmpty() || owner.isPresent() && !owner.get().equals(row.get().view().userId())) {
            return false;
        }
        return end(row.get(), Admissions.EndReason.REVOKED, actor);
    }

    /** Ends the live MFA sessions of a location (its policy changed); returns how many were ended. */
    public int endAllAt(String location, Admissions.EndReason reason, Actor actor) {
        List<Row> rows = database.inTransaction(connection -> select(connection,
                "AND p.location = ? ORDER BY p.created_at, p.session_id", location));
        if (rows.isEmpty()) {
            return 0;
        }
        return admissions.evictAll(location, rows.stream()
                .map(r -> new Admissions.Target(r.publicKey(), Optional.of(r.view().id()))).toList(),
                new Admissions.SessionEnd(reason, actor, events)).size();
    }

    /** Ends one session (only that session: a newer one of the same device survives). */
    boolean end(Row row, Admissions.EndReason reason, Actor actor) {
        return admissions.evict(row.view().location(), row.publicKey(), Optional.of(row.view().id()),
                new Admissions.SessionEnd(reason, actor, events)).isPresent();
    }

    /** Every live MFA session with its device key, for the sweeper. */
    List<Row> all() {
        return database.inTransaction(connection -> select(connection, "ORDER BY p.created_at, p.session_id"));
    }

    private Optional<Row> row(String sessionId) {
        if (sessionId == null || !sessionId.matches(SESSION_ID)) {
            return Optional.empty();
        }
        return database.inTransaction(connection -> select(connection, "AND p.session_id = ?", sessionId)).stream().findFirst();
    }

    /** A session, the device key it admits (public, but not part of the view) and its location's endpoint rule. */
    record Row(SessionView view, WireGuardPublicKey publicKey, boolean reauthOnEndpointChange) {
    }

    private List<Row> select(Connection connection, String where, Object... parameters) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(SELECT + where)) {
            select.setObject(1, timestamp(clock.instant()));
            for (int i = 0; i < parameters.length; i++) {
                select.setObject(i + 2, parameters[i]);
            }
            try (ResultSet rs = select.executeQuery()) {
                List<Row> rows = new ArrayList<>();
                while (rs.next()) {
                    int idle = rs.getInt("idle_timeout_seconds");
                    Duration idleTimeout = rs.wasNull() ? Locations.DEFAULT_IDLE_TIMEOUT : Duration.ofSeconds(idle);
                    rows.add(new Row(new SessionView(rs.getString("session_id"), rs.getString("location"),
                            rs.getObject("user_id", UUID.class), rs.getString("user_name"), rs.getObject("device_id", UUID.class),
                            rs.getString("device_name"), rs.getString("mfa_method"), instant(rs, "created_at"),
                            instant(rs, "not_after"), idleTimeout, Optional.ofNullable(instant(rs, "last_handshake_at")),
                            Optional.ofNullable(rs.getString("first_endpoint"))),
                            WireGuardPublicKey.fromBytes(rs.getBytes("public_key")), rs.getBoolean("reauth")));
                }
                return rows;
            }
        }
    }
}
