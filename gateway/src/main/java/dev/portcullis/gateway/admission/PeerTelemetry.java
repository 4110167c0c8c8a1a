package dev.portcullis.gateway.admission;

import com.google.protobuf.ByteString;
import dev.portcullis.protocol.wireguard.DeviceException;
import dev.portcullis.protocol.wireguard.PeerState;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import dev.portcullis.protocol.link.ListenAddress;
import dev.portcullis.protocol.link.TelemetryReporter;
import dev.portcullis.protocol.v1.ComponentMessage;
import dev.portcullis.protocol.v1.PeerStats;
import dev.portcullis.protocol.v1.Telemetry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's telemetry to core, every {@link #INTERVAL} and once when a control stream opens:
 * the common report of {@link TelemetryReporter} (uptime, memory, configuration version) plus
 * statistics of the peers whose endpoint, handshake or counters changed since the last report on
 * this stream (all of them in the first), the local evictions core has not heard of yet, and the
 * ACL's dropped-packet counter.
 * <p>
 * An eviction report leaves the queue only once a report carrying it was handed to the stream;
 * while core is away nothing is sent and everything waits. {@code this} guards {@code lastReported}
 * and {@code presentInFlight}, so a report and the reset for a new stream never interleave.
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
    private final TelemetryReporter reporter;

    /** Guarded by this. What core last received per peer on the current stream. */
    private final Map<WireGuardPublicKey, PeerStats> lastReported = new HashMap<>();
    /** Guarded by this. The peers on the device when the report being sent was built; null if unread. */
    private Set<WireGuardPublicKey> presentInFlight;

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
        this.reporter = new TelemetryReporter(sender, configVersion, residentBytes, clock,
                new TelemetryReporter.Contribution() {
                    @Override
                    public void addTo(Telemetry.Builder report) {
                        addPeerReport(report);
                    }

                    @Override
                    public void delivered(Telemetry report) {
                        markDelivered(report);
                    }
                });
    }

    /** Starts the periodic reports. */
    public PeerTelemetry start() {
        reporter.start();
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
        reporter.reportSoon();
    }

    /** Builds and sends one report now; false (and nothing is marked as delivered) if core is not connected. */
    public boolean report() {
        return reporter.report();
    }

    private synchronized void addPeerReport(Telemetry.Builder report) {
        report.setAclDroppedPackets(Math.max(0, aclDroppedPackets.getAsLong()));
        presentInFlight = null;
        try {
            List<PeerState> peers = admissions.peerStates();
            Set<WireGuardPublicKey> present = new HashSet<>();
            List<PeerStats> changed = new ArrayList<>();
            for (PeerState peer : peers) {
                present.add(peer.publicKey());
                PeerStats stats = stats(peer);
                if (changed.size() < MAX_PEER_STATS_PER_REPORT && !stats.equals(lastReported.get(peer.publicKey()))) {
                    changed.add(stats);
                }
            }
            report.addAllPeers(changed);
            presentInFlight = present;
        } catch (DeviceException | RuntimeException e) {
            LOG.warn("telemetry without peer statistics: cannot read the WireGuard interface ({})", e.getMessage());
        }
        report.addAllEvictions(admissions.pendingEvictions(MAX_EVICTIONS_PER_REPORT));
    }

    private synchronized void markDelivered(Telemetry report) {
        admissions.evictionsDelivered(report.getEvictionsList());
        if (presentInFlight != null) {
            lastReported.keySet().retainAll(presentInFlight);
        }
        for (PeerStats stats : report.getPeersList()) {
            lastReported.put(WireGuardPublicKey.fromBytes(stats.getPublicKey().toByteArray()), stats);
        }
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

    @Override
    public void close() {
        reporter.close();
    }
}
