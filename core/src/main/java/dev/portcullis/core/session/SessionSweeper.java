package dev.portcullis.core.session;

import static dev.portcullis.core.store.Database.timestamp;

import dev.portcullis.core.audit.Actor;
import dev.portcullis.core.audit.SecurityAction;
import dev.portcullis.core.audit.SecurityEvent;
import dev.portcullis.core.audit.SecurityEvents;
import dev.portcullis.core.location.Admissions;
import dev.portcullis.core.location.GatewayReports;
import dev.portcullis.core.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends tunnel sessions that core, not a person, decides are over. Each sweep, in order:
 * <ol>
 *   <li>{@link #expire}: rows past their not-after are deleted and {@code tunnel.session.expired}
 *       recorded (the gateways already removed the peers by themselves; nothing is pushed);</li>
 *   <li>{@link #idle}: a session with no handshake of its own for its location's idle timeout (counted
 *       from the newest handshake at or after its start, or from its start) is evicted, reason {@code idle};</li>
 *   <li>{@link #endpointChanged}: at a location that asks for it, a session whose device now shows up
 *       from another address than its first handshake came from is evicted, reason {@code endpoint_changed}.</li>
 * </ol>
 * Handshakes come from what gateways report: the stored {@code last_handshake_at} and, fresher,
 * {@link GatewayReports}' in-memory statistics. One thread owns the schedule; {@link #sweepOnce()}
 * may also be called directly (tests, with a fake clock).
 */
public final class SessionSweeper implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SessionSweeper.class);
    /**
     * How often the sweep runs. Idle timeouts are at least a minute, so five seconds late is within
     * 10% of the shortest; a sweep is a few indexed queries, cheap at this rate.
     */
    public static final Duration INTERVAL = Duration.ofSeconds(5);
    /** Expired rows deleted per sweep: bounds one transaction; a backlog drains over the next sweeps. */
    static final int MAX_EXPIRED_PER_SWEEP = 1_000;

    private final Database database;
    private final Sessions sessions;
    private final GatewayReports reports;
    private final SecurityEvents events;
    private final Clock clock;
    /** Guarded by {@code this}; set once by {@link #start()}. */
    private ScheduledExecutorService schedule;

    public SessionSweeper(Database database, Sessions sessions, GatewayReports reports, SecurityEvents events, Clock clock) {
        this.database = database;
        this.sessions = sessions;
        this.reports = reports;
        this.events = events;
        this.clock = clock;
    }

    /** What one sweep ended. */
    public record Sweep(int expired, int idle, int endpointChanged) {
    }

    /** Starts sweeping every {@link #INTERVAL} on a daemon thread of its own. */
    public synchronized SessionSweeper start() {
        if (schedule == null) {
            schedule = Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "session-sweeper");
                thread.setDaemon(true);
                return thread;
            });
            schedule.scheduleWithFixedDelay(this::sweepLogged, INTERVAL.toMillis(), INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        }
        return this;
    }

    private void sweepLogged() {
        try {
            sweepOnce();
        } catch (RuntimeException e) {
            // Never let the schedule die: the next sweep tries again.
            LOG.error("session sweep failed: {}", e.getClass().getSimpleName(), e);
        }
    }

    /** One sweep: expiry, then idle, then endpoint changes. */
    public Sweep sweepOnce() {
        Instant now = clock.instant();
        int expired = expire(now);
        Map<String, List<String>> gateways = gatewaysByLocation();
        int idle = 0;
        int moved = 0;
        for (Sessions.Row row : sessions.all()) {
            try {
                if (idle(row, gateways, now)) {
                    idle += sessions.end(row, Admissions.EndReason.IDLE, Actor.core()) ? 1 : 0;
                } else if (endpointChanged(row, gateways)) {
                    moved += sessions.end(row, Admissions.EndReason.ENDPOINT_CHANGED, Actor.core()) ? 1 : 0;
                }
            } catch (RuntimeException e) {
                LOG.warn("ending session {} at location '{}' failed: {}", row.view().id(), row.view().location(),
                        e.getClass().getSimpleName(), e);
            }
        }
        Sweep sweep = new Sweep(expired, idle, moved);
        if (expired + idle + moved > 0) {
            LOG.info("session sweep: {} expired, {} idle, {} endpoint changed", expired, idle, moved);
        }
        return sweep;
    }

    /** Deletes rows past their not-after, recording {@code tunnel.session.expired} for each MFA session among them. */
    int expire(Instant now) {
        return database.inTransaction(connection -> {
            int count = 0;
            try (PreparedStatement delete = connection.prepareStatement(
                    "WITH gone AS (DELETE FROM location_peers WHERE (location, public_key) IN ("
                            + "SELECT location, public_key FROM location_peers WHERE not_after <= ? ORDER BY not_after LIMIT ? "
                            + "FOR UPDATE SKIP LOCKED) RETURNING session_id, location, user_id, device_id, mfa_method, not_after) "
                            + "SELECT gone.*, u.name AS user_name, d.name AS device_name FROM gone "
                            + "LEFT JOIN users u ON u.id = gone.user_id LEFT JOIN devices d ON d.id = gone.device_id "
                            + "ORDER BY gone.not_after, gone.session_id")) {
                delete.setObject(1, timestamp(now));
                delete.setInt(2, MAX_EXPIRED_PER_SWEEP);
                try (ResultSet rs = delete.executeQuery()) {
                    while (rs.next()) {
                        count++;
                        if (rs.getObject("user_id") != null) {
                            recordExpired(connection, rs);
                        }
                    }
                }
            }
            return count;
        });
    }

    private void recordExpired(Connection connection, ResultSet rs) throws SQLException {
        events.record(connection, SecurityEvent.success(SecurityAction.TUNNEL_SESSION_EXPIRED, Actor.core(),
                        "session:" + rs.getString("session_id"))
                .with("location", rs.getString("location")).with("user", rs.getString("user_name"))
                .with("device", rs.getString("device_name")).with("method", rs.getString("mfa_method")));
    }

    /** No handshake of this session for the idle timeout, from the newest one (stored or just reported) or the start. */
    private boolean idle(Sessions.Row row, Map<String, List<String>> gateways, Instant now) {
        Sessions.SessionView view = row.view();
        Instant active = view.startedAt();
        if (view.lastHandshake().isPresent() && view.lastHandshake().get().isAfter(active)) {
            active = view.lastHandshake().get();
        }
        Optional<GatewayReports.PeerReport> reported = reported(row, gateways);
        if (reported.isPresent()) {
            Instant handshake = reported.get().lastHandshake().orElseThrow();
            // A gateway's clock ahead of core's must not keep the session alive: a handshake is never later than its report.
            Instant reportedAt = reported.get().reportedAt();
            handshake = handshake.isAfter(reportedAt) ? reportedAt : handshake;
            if (handshake.isAfter(active)) {
                active = handshake;
            }
        }
        return !now.isBefore(active.plus(view.idleTimeout()));
    }

    /**
     * The device now shows up from another address than its first handshake of this session came
     * from. Only the address counts: a NAT that gives the same device another port (a new mapping
     * after a quiet spell, or another one per gateway) is the same network, not a stolen session.
     */
    private boolean endpointChanged(Sessions.Row row, Map<String, List<String>> gateways) {
        if (!row.reauthOnEndpointChange() || row.view().endpoint().isEmpty()) {
            return false;
        }
        Optional<String> now = reported(row, gateways).map(GatewayReports.PeerReport::endpoint).filter(e -> !e.isEmpty());
        return now.isPresent() && !host(now.get()).equals(host(row.view().endpoint().get()));
    }

    private Optional<GatewayReports.PeerReport> reported(Sessions.Row row, Map<String, List<String>> gateways) {
        return reports.newestSince(gateways.getOrDefault(row.view().location(), List.of()), row.publicKey(),
                row.view().startedAt());
    }

    /** "198.51.100.7:51820" → "198.51.100.7"; "[2001:db8::1]:51820" → "2001:db8::1". */
    static String host(String endpoint) {
        int colon = endpoint.lastIndexOf(':');
        String host = colon > 0 ? endpoint.substring(0, colon) : endpoint;
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    private Map<String, List<String>> gatewaysByLocation() {
        return database.inTransaction(connection -> {
            Map<String, List<String>> byLocation = new HashMap<>();
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT id, location FROM components WHERE role = 'GATEWAY' AND state = 'ADOPTED' AND location IS NOT NULL");
                 ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    byLocation.computeIfAbsent(rs.getString("location"), l -> new ArrayList<>()).add(rs.getString("id"));
                }
            }
            return byLocation;
        });
    }

    @Override
    public synchronized void close() {
        if (schedule != null) {
            schedule.shutdownNow();
            try {
                if (!schedule.awaitTermination(5, TimeUnit.SECONDS)) {
                    LOG.warn("the session sweeper did not stop within 5 seconds");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
