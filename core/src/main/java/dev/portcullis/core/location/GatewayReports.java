package dev.portcullis.core.location;

import static dev.portcullis.core.store.Database.timestamp;

import dev.portcullis.core.link.ComponentReports;
import dev.portcullis.core.store.Database;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import dev.portcullis.protocol.v1.ComponentKind;
import dev.portcullis.protocol.v1.Hello;
import dev.portcullis.protocol.v1.PeerEviction;
import dev.portcullis.protocol.v1.PeerStats;
import dev.portcullis.protocol.v1.Telemetry;
import java.sql.PreparedStatement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What gateways report about themselves: the public key and UDP port of the WireGuard interface
 * they generated (from Hello; stored on the component row and shown in status), the last
 * statistics of each peer and the peers they evicted by themselves (from Telemetry; kept in
 * memory, bounded). Called on the links' stream threads: it never blocks them on the database
 * (writes go to {@code writer}) and never throws.
 */
public final class GatewayReports implements ComponentReports {

    private static final Logger LOG = LoggerFactory.getLogger(GatewayReports.class);
    /** Statistics kept per gateway: one per peer it can have, so a gateway cannot grow core's memory beyond that. */
    static final int MAX_PEER_STATS_PER_GATEWAY = LocationStore.MAX_PEERS_PER_LOCATION;
    /** Local evictions remembered per gateway for operators; older ones are only in the log. */
    static final int MAX_RECENT_EVICTIONS = 200;
    /** Endpoint strings are "address:port"; anything longer is not one. */
    private static final int MAX_ENDPOINT_CHARS = 64;

    private final Database database;
    private final Clock clock;
    private final Executor writer;
    private final Map<String, Map<WireGuardPublicKey, PeerReport>> peerStats = new ConcurrentHashMap<>();
    /** Each deque is guarded by its own monitor. */
    private final Map<String, Deque<LocalEviction>> evictions = new ConcurrentHashMap<>();

    /** @param writer runs the database writes (a single background thread in production) */
    public GatewayReports(Database database, Clock clock, Executor writer) {
        this.database = database;
        this.clock = clock;
        this.writer = writer;
    }

    /** The last statistics a gateway reported for one peer. {@code lastHandshake} is empty if it never completed one. */
    public record PeerReport(String endpoint, Optional<Instant> lastHandshake, long rxBytes, long txBytes, Instant reportedAt) {
    }

    /** A peer a gateway removed by itself (normally at its not-after). */
    public record LocalEviction(WireGuardPublicKey publicKey, String sessionId, String reason, Instant evictedAt) {
    }

    @Override
    public void hello(String componentId, Hello hello) {
        if (hello.getKind() != ComponentKind.COMPONENT_KIND_GATEWAY) {
            return;
        }
        // A new stream: its first telemetry report lists every peer again.
        peerStats.remove(componentId);
        if (hello.getWireguardPublicKey().size() != WireGuardPublicKey.BYTES) {
            LOG.warn("gateway {} sent no valid WireGuard public key in its Hello", componentId);
            return;
        }
        WireGuardPublicKey key = WireGuardPublicKey.fromBytes(hello.getWireguardPublicKey().toByteArray());
        int port = hello.getWireguardListenPort();
        Integer validPort = port >= 1 && port <= 65535 ? port : null;
        Instant now = clock.instant();
        submit(() -> {
            int rows = database.inTransaction(connection -> {
                try (PreparedStatement update = connection.prepareStatement(
                        "UPDATE components SET wireguard_public_key = ?, wireguard_listen_port = ?, wireguard_reported_at = ? "
                                + "WHERE id = ? AND role = 'GATEWAY' AND state <> 'REMOVED'")) {
                    update.setBytes(1, key.bytes());
                    update.setObject(2, validPort);
                    update.setObject(3, timestamp(now));
                    update.setObject(4, UUID.fromString(componentId));
                    return update.executeUpdate();
                }
            });
            if (rows == 1) {
                LOG.info("gateway {} runs WireGuard key {} on UDP port {}", componentId, key, validPort);
            }
        });
    }

    @Override
    public void telemetry(String componentId, Telemetry telemetry) {
        Instant now = clock.instant();
        Map<WireGuardPublicKey, PeerReport> stats = peerStats.computeIfAbsent(componentId, id -> new ConcurrentHashMap<>());
        int dropped = 0;
        for (PeerStats peer : telemetry.getPeersList()) {
            if (peer.getPublicKey().size() != WireGuardPublicKey.BYTES) {
                dropped++;
                continue;
            }
            WireGuardPublicKey key = WireGuardPublicKey.fromBytes(peer.getPublicKey().toByteArray());
            if (stats.size() >= MAX_PEER_STATS_PER_GATEWAY && !stats.containsKey(key)) {
                dropped++;
                continue;
            }
            stats.put(key, new PeerReport(printable(peer.getEndpoint()),
                    peer.getLastHandshakeUnixMillis() > 0
                            ? Optional.of(Instant.ofEpochMilli(peer.getLastHandshakeUnixMillis())) : Optional.empty(),
                    peer.getRxBytes(), peer.getTxBytes(), now));
        }
        if (dropped > 0) {
            LOG.warn("gateway {}: ignored {} peer statistics (malformed key or over {} peers)", componentId, dropped,
                    MAX_PEER_STATS_PER_GATEWAY);
        }
        recordHandshakes(componentId, telemetry, now);
        for (PeerEviction eviction : telemetry.getEvictionsList()) {
            if (eviction.getPublicKey().size() != WireGuardPublicKey.BYTES) {
                continue;
            }
            WireGuardPublicKey key = WireGuardPublicKey.fromBytes(eviction.getPublicKey().toByteArray());
            stats.remove(key);
            LocalEviction local = new LocalEviction(key, printable(eviction.getSessionId()),
                    eviction.getReason().name().replace("EVICTION_REASON_", "").toLowerCase(java.util.Locale.ROOT),
                    Instant.ofEpochMilli(eviction.getEvictedAtUnixMillis()));
            LOG.info("gateway {} evicted peer {} by itself (session {}, {}) at {}", componentId, key, local.sessionId(),
                    local.reason(), local.evictedAt());
            Deque<LocalEviction> recent = evictions.computeIfAbsent(componentId, id -> new ArrayDeque<>());
            synchronized (recent) {
                recent.addFirst(local);
                while (recent.size() > MAX_RECENT_EVICTIONS) {
                    recent.removeLast();
                }
            }
        }
    }

    /** The last statistics of every peer the gateway reported on its current stream. */
    public Map<WireGuardPublicKey, PeerReport> peers(String componentId) {
        return Map.copyOf(peerStats.getOrDefault(componentId, Map.of()));
    }

    /** Peers the gateway evicted by itself, newest first. */
    public List<LocalEviction> recentEvictions(String componentId) {
        Deque<LocalEviction> recent = evictions.get(componentId);
        if (recent == null) {
            return List.of();
        }
        synchronized (recent) {
            return List.copyOf(recent);
        }
    }

    /**
     * The newest report for {@code key} among the given gateways that shows a handshake at or after
     * {@code since} (the session's start: a handshake of the device's previous session says nothing
     * about this one).
     */
    public Optional<PeerReport> newestSince(Collection<String> componentIds, WireGuardPublicKey key, Instant since) {
        PeerReport newest = null;
        for (String id : componentIds) {
            PeerReport report = peerStats.getOrDefault(id, Map.of()).get(key);
            if (report == null || report.lastHandshake().isEmpty() || report.lastHandshake().get().isBefore(since)) {
                continue;
            }
            if (newest == null || report.lastHandshake().get().isAfter(newest.lastHandshake().get())) {
                newest = report;
            }
        }
        return Optional.ofNullable(newest);
    }

    /**
     * Stores, for the MFA tunnel sessions of the gateway's location, the newest handshake and the
     * endpoint of the first handshake of the session: one statement per report, only rows with an
     * owner, only handshakes at or after the session's start. A handshake "in the future" counts as
     * now, so a gateway with a wrong clock cannot keep an idle session alive.
     */
    private void recordHandshakes(String componentId, Telemetry telemetry, Instant now) {
        // Sent as text arrays (hex keys, ISO instants): the driver maps those portably.
        List<String> keys = new ArrayList<>();
        List<String> handshakes = new ArrayList<>();
        List<String> endpoints = new ArrayList<>();
        for (PeerStats peer : telemetry.getPeersList()) {
            if (peer.getPublicKey().size() != WireGuardPublicKey.BYTES || peer.getLastHandshakeUnixMillis() <= 0) {
                continue;
            }
            Instant handshake = Instant.ofEpochMilli(peer.getLastHandshakeUnixMillis());
            keys.add("\\x" + java.util.HexFormat.of().formatHex(peer.getPublicKey().toByteArray()));
            handshakes.add((handshake.isAfter(now) ? now : handshake).toString());
            String endpoint = printable(peer.getEndpoint());
            endpoints.add(endpoint.isEmpty() ? null : endpoint);
            if (keys.size() == MAX_PEER_STATS_PER_GATEWAY) {
                break;
            }
        }
        if (keys.isEmpty()) {
            return;
        }
        submit(() -> database.inTransaction(connection -> {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE location_peers p SET "
                            + "last_handshake_at = GREATEST(p.last_handshake_at, v.handshake), "
                            + "first_endpoint = COALESCE(p.first_endpoint, v.endpoint) "
                            + "FROM components c, unnest(?::text[]::bytea[], ?::text[]::timestamptz[], ?::text[]) AS v(key, handshake, endpoint) "
                            + "WHERE c.id = ? AND c.role = 'GATEWAY' AND p.location = c.location AND p.public_key = v.key "
                            + "AND p.user_id IS NOT NULL AND v.handshake >= p.created_at")) {
                update.setArray(1, connection.createArrayOf("text", keys.toArray()));
                update.setArray(2, connection.createArrayOf("text", handshakes.toArray()));
                update.setArray(3, connection.createArrayOf("text", endpoints.toArray()));
                update.setObject(4, UUID.fromString(componentId));
                return update.executeUpdate();
            }
        }));
    }

    private void submit(Runnable write) {
        try {
            writer.execute(() -> {
                try {
                    write.run();
                } catch (RuntimeException e) {
                    LOG.error("recording a gateway report failed", e);
                }
            });
        } catch (RejectedExecutionException e) {
            LOG.warn("gateway report dropped: the report writer is busy or stopped");
        }
    }

    /** Values from a gateway are shown and logged only in a shape that cannot forge lines or grow without bound. */
    private static String printable(String value) {
        String shortened = value.length() > MAX_ENDPOINT_CHARS ? value.substring(0, MAX_ENDPOINT_CHARS) : value;
        return shortened.replaceAll("[^A-Za-z0-9._:\\[\\]-]", "?");
    }
}
