package dev.portcullis.gateway.admission;

import com.google.protobuf.ByteString;
import dev.portcullis.gateway.wireguard.DeviceException;
import dev.portcullis.gateway.wireguard.PeerState;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import dev.portcullis.protocol.link.ListenAddress;
import dev.portcullis.protocol.link.TelemetryReporter;
import dev.portcullis.protocol.v1.ComponentMessage;
import dev.portcullis.protocol.v1.PeerEviction;
import dev.portcullis.protocol.v1.PeerStats;
import dev.portcullis.protocol.v1.Telemetry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's telemetry to core, every {@link #INTERVAL} and once when a control stream opens:
 * process health (uptime, memory, configuration version), statistics of the peers whose endpoint,
 * handshake or counters changed since the last report on this stream (all of them in the first),
 * the local evictions core has not heard of yet, and the ACL's dropped-packet counter.
 * <p>
 * An eviction report leaves the queue only once a report carrying it was handed to the stream;
 * while core is away nothing is sent and everything waits. One daemon thread; {@code this}
 * guards {@code lastReported}, so a report and the reset for a new stream never interleave.
 */
public final class PeerTelemetry implements AutoCloseable {

    public static final Duration INTERVAL = TelemetryReporter.INTERVAL;
    /**
     * Peer statistics in one report. About 100 bytes each, so a report stays far below the
     * control link's 4 MiB message limit; peers left out are still "changed" and go next time.
     */
    public static final int MAX_PEER_STATS_PER_REPORT = 5_000;
    /** Eviction reports in one report, for the same reason; the rest stay queued. */
    public static final int MAX_EVICTIONS_PER_REPORT = 5_000;

    private static final Logger LOG = LoggerFactory.getLogger(PeerTelemetry.class);

    private final Admissions admissions;
    private final LongSupplier aclDroppedPackets;
    private final Predicate<ComponentMessage> sender;
    private final LongSupplier configVersion;
    private final LongSupplier residentBytes;
    private final Clock clock;
    private final Instant startedAt;
    private final ScheduledExecutorService executor;

    /** Guarded by this. What core last received per peer on the current stream. */
    private final Map<WireGuardPublicKey, PeerStats> lastReported = new HashMap<>();

    /**
     * @param admissions        the peers and the local eviction queue
     * @param aclDroppedPackets the firewall's dropped-packet counter
     * @param sender            sends on the control stream; false when core is not connected
     * @param configVersion     the configuration version being served
     * @param residentBytes     resident memory, bytes
     * @param clock             wall clock for timestamps and uptime
     */
    public PeerTelemetry(Admissions admissions, LongSupplier aclDroppedPackets, Predicate<ComponentMessage> sender,
                         LongSupplier configVersion, LongSupplier residentBytes, Clock clock) {
        this.admissions = Objects.requireNonNull(admissions, "admissions");
        this.aclDroppedPackets = Objects.requireNonNull(aclDroppedPackets, "aclDroppedPackets");
        this.sender = Objects.requireNonNull(sender, "sender");
        this.configVersion = Objects.requireNonNull(configVersion, "configVersion");
        this.residentBytes = Objects.requireNonNull(residentBytes, "residentBytes");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.startedAt = clock.instant();
        this.executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "telemetry");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Starts the periodic reports. */
    public PeerTelemetry start() {
        long period = INTERVAL.toMillis();
        executor.scheduleAtFixedRate(this::reportQuietly, period, period, TimeUnit.MILLISECONDS);
        return this;
    }

    /**
     * Core opened a new control stream: the next report carries every peer, and it is sent soon,
     * off the caller's thread, so core sees the gateway's state and any evictions at once.
     */
    public void streamOpened() {
        synchronized (this) {
            lastReported.clear();
        }
        try {
            executor.execute(this::reportQuietly);
        } catch (RejectedExecutionException e) {
            // Closed: nothing more to report.
        }
    }

    /** Builds and sends one report now; false (and nothing is marked as delivered) if core is not connected. */
    public synchronized boolean report() {
        Instant now = clock.instant();
        Telemetry.Builder telemetry = Telemetry.newBuilder()
                .setSentAtUnixMillis(now.toEpochMilli())
                .setConfigVersion(configVersion.getAsLong())
                .setUptimeSeconds(Math.max(0, Duration.between(startedAt, now).getSeconds()))
                .setRssBytes(Math.max(0, residentBytes.getAsLong()))
                .setAclDroppedPackets(Math.max(0, aclDroppedPackets.getAsLong()));
        List<PeerStats> changed = new ArrayList<>();
        Set<WireGuardPublicKey> present = null;
        try {
            List<PeerState> peers = admissions.peerStates();
            present = new HashSet<>();
            for (PeerState peer : peers) {
                present.add(peer.publicKey());
                PeerStats stats = stats(peer);
                if (changed.size() < MAX_PEER_STATS_PER_REPORT && !stats.equals(lastReported.get(peer.publicKey()))) {
                    changed.add(stats);
                }
            }
        } catch (DeviceException | RuntimeException e) {
            LOG.warn("telemetry without peer statistics: cannot read the WireGuard interface ({})", e.getMessage());
        }
        List<PeerEviction> evictions = admissions.pendingEvictions(MAX_EVICTIONS_PER_REPORT);
        telemetry.addAllPeers(changed).addAllEvictions(evictions);
        if (!sender.test(ComponentMessage.newBuilder().setTelemetry(telemetry).build())) {
            return false;
        }
        admissions.evictionsDelivered(evictions);
        if (present != null) {
            lastReported.keySet().retainAll(present);
        }
        for (PeerStats stats : changed) {
            lastReported.put(WireGuardPublicKey.fromBytes(stats.getPublicKey().toByteArray()), stats);
        }
        return true;
    }

    static PeerStats stats(PeerState peer) {
        PeerStats.Builder stats = PeerStats.newBuilder()
                .setPublicKey(ByteString.copyFrom(peer.publicKey().bytes()))
                .setRxBytes(Math.max(0, peer.rxBytes()))
                .setTxBytes(Math.max(0, peer.txBytes()));
        peer.endpoint().ifPresent(endpoint -> stats.setEndpoint(ListenAddress.format(endpoint)));
        peer.lastHandshake().ifPresent(handshake -> stats.setLastHandshakeUnixMillis(handshake.toEpochMilli()));
        return stats.build();
    }

    private void reportQuietly() {
        try {
            report();
        } catch (RuntimeException e) {
            // A failed report must not stop the schedule; the next one tries again.
            LOG.debug("telemetry not sent: {}", e.toString());
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
