package dev.portcullis.gateway.admission;

import static dev.portcullis.gateway.admission.Peers.admission;
import static dev.portcullis.gateway.admission.Peers.newKey;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.pki.wireguard.PresharedKey;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import dev.portcullis.protocol.v1.EvictionReason;
import dev.portcullis.protocol.v1.PeerStats;
import dev.portcullis.protocol.v1.Telemetry;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeerTelemetryTest {

    private static final Instant START = Instant.parse("2030-01-01T10:00:00Z");

    @TempDir
    Path stateDir;

    private final MutableClock clock = new MutableClock(START);
    private final FakeWireGuardDevice device = new FakeWireGuardDevice();
    /** Whether "core" holds the stream: the sender refuses while it does not, like ComponentLink::send. */
    private final AtomicBoolean coreConnected = new AtomicBoolean(true);
    private final List<Telemetry> sent = new CopyOnWriteArrayList<>();
    private final AtomicLong aclDrops = new AtomicLong();
    private Admissions admissions;
    private PeerTelemetry telemetry;

    @BeforeEach
    void start() throws Exception {
        admissions = Admissions.start(device, new AdmissionStateFile(stateDir), clock, Duration.ofMillis(10));
        telemetry = new PeerTelemetry(admissions, aclDrops::get, message -> {
            if (!coreConnected.get()) {
                return false;
            }
            sent.add(message.getTelemetry());
            return true;
        }, () -> 7, () -> 1234, clock);
    }

    @AfterEach
    void stop() {
        telemetry.close();
        admissions.close();
    }

    @Test
    void onlyPeersWhoseEndpointHandshakeOrBytesChangedAreSentAfterTheFirstReport() throws Exception {
        WireGuardPublicKey quiet = newKey();
        WireGuardPublicKey busy = newKey();
        admissions.admit(admission(quiet, PresharedKey.generate(), START.plusSeconds(3600), "10.80.0.2/32"));
        admissions.admit(admission(busy, PresharedKey.generate(), START.plusSeconds(3600), "10.80.0.3/32"));
        device.traffic(quiet, new InetSocketAddress("203.0.113.7", 51820), START, 100, 200);
        device.traffic(busy, new InetSocketAddress("203.0.113.8", 40000), START, 100, 200);

        assertThat(telemetry.report()).isTrue();
        assertThat(keys(sent.get(0))).as("first report on a stream: every peer").containsExactlyInAnyOrder(quiet, busy);
        PeerStats first = sent.get(0).getPeersList().stream()
                .filter(s -> WireGuardPublicKey.fromBytes(s.getPublicKey().toByteArray()).equals(quiet)).findFirst().orElseThrow();
        assertThat(first.getEndpoint()).isEqualTo("203.0.113.7:51820");
        assertThat(first.getLastHandshakeUnixMillis()).isEqualTo(START.toEpochMilli());
        assertThat(first.getRxBytes()).isEqualTo(100);
        assertThat(first.getTxBytes()).isEqualTo(200);

        device.traffic(busy, new InetSocketAddress("203.0.113.8", 40000), START.plusSeconds(15), 900, 1200);
        assertThat(telemetry.report()).isTrue();
        assertThat(keys(sent.get(1))).containsExactly(busy);

        assertThat(telemetry.report()).isTrue();
        assertThat(sent.get(2).getPeersList()).as("nothing changed").isEmpty();

        device.traffic(quiet, new InetSocketAddress("198.51.100.1", 51820), START, 100, 200);
        assertThat(telemetry.report()).isTrue();
        assertThat(keys(sent.get(3))).as("endpoint roamed").containsExactly(quiet);
    }

    @Test
    void aNewStreamGetsEveryPeerAgain() throws Exception {
        WireGuardPublicKey peer = newKey();
        admissions.admit(admission(peer, PresharedKey.generate(), START.plusSeconds(3600), "10.80.0.2/32"));
        telemetry.report();
        telemetry.report();
        assertThat(sent.get(1).getPeersList()).isEmpty();

        telemetry.streamOpened();
        AdmissionsTest.await(() -> sent.size() == 3, "report on connect");

        assertThat(keys(sent.get(2))).containsExactly(peer);
    }

    @Test
    void anExpiryWhileCoreIsAwayIsReportedInTheNextTelemetryAfterReconnectAndThenNotAgain() throws Exception {
        WireGuardPublicKey peer = newKey();
        admissions.admit(admission(peer, PresharedKey.generate(), START.plusSeconds(60), "10.80.0.2/32"));
        coreConnected.set(false);

        clock.advance(Duration.ofSeconds(60));
        AdmissionsTest.await(() -> device.keys().isEmpty(), "expired without core");
        assertThat(telemetry.report()).as("core away: nothing sent").isFalse();
        assertThat(sent).isEmpty();

        coreConnected.set(true);
        telemetry.streamOpened();
        AdmissionsTest.await(() -> !sent.isEmpty(), "report on reconnect");

        assertThat(sent.get(0).getEvictionsList()).singleElement().satisfies(eviction -> {
            assertThat(eviction.getPublicKey().toByteArray()).isEqualTo(peer.bytes());
            assertThat(eviction.getReason()).isEqualTo(EvictionReason.EVICTION_REASON_EXPIRED);
            assertThat(eviction.getEvictedAtUnixMillis()).isEqualTo(START.plusSeconds(60).toEpochMilli());
        });
        assertThat(telemetry.report()).isTrue();
        assertThat(sent.get(1).getEvictionsList()).as("delivered once").isEmpty();
    }

    @Test
    void theReportCarriesTheAclDropCounterAndProcessHealth() {
        aclDrops.set(42);
        clock.advance(Duration.ofSeconds(90));

        telemetry.report();

        Telemetry report = sent.get(0);
        assertThat(report.getAclDroppedPackets()).isEqualTo(42);
        assertThat(report.getConfigVersion()).isEqualTo(7);
        assertThat(report.getRssBytes()).isEqualTo(1234);
        assertThat(report.getUptimeSeconds()).isEqualTo(90);
        assertThat(report.getSentAtUnixMillis()).isEqualTo(START.plusSeconds(90).toEpochMilli());
    }

    private static List<WireGuardPublicKey> keys(Telemetry telemetry) {
        return telemetry.getPeersList().stream().map(s -> WireGuardPublicKey.fromBytes(s.getPublicKey().toByteArray())).toList();
    }

}
