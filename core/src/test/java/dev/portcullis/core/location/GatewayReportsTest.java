package dev.portcullis.core.location;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import dev.portcullis.protocol.v1.ComponentKind;
import dev.portcullis.protocol.v1.EvictionReason;
import dev.portcullis.protocol.v1.Hello;
import dev.portcullis.protocol.v1.PeerEviction;
import dev.portcullis.protocol.v1.PeerStats;
import dev.portcullis.protocol.v1.Telemetry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class GatewayReportsTest {

    private final LocationFixture fixture = new LocationFixture();
    private final GatewayReports reports = new GatewayReports(fixture.database, fixture.clock, Runnable::run);

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    @Test
    void helloRecordsTheGatewaysWireGuardKeyAndPortOnItsRow() {
        String gateway = fixture.gateway("gw-1", "berlin", true);
        WireGuardPublicKey key = LocationFixture.randomKey();

        reports.hello(gateway, Hello.newBuilder().setKind(ComponentKind.COMPONENT_KIND_GATEWAY).setComponentId(gateway)
                .setWireguardPublicKey(ByteString.copyFrom(key.bytes())).setWireguardListenPort(51820).build());

        var wireguard = fixture.registry.byId(gateway).orElseThrow().wireguard().orElseThrow();
        assertThat(wireguard.publicKey()).isEqualTo(key);
        assertThat(wireguard.listenPort()).isEqualTo(51820);
    }

    @Test
    void telemetryKeepsTheLastStatisticsPerPeerAndRecordsLocalEvictions() {
        String gateway = fixture.gateway("gw-1", "berlin", true);
        WireGuardPublicKey peer = LocationFixture.randomKey();
        WireGuardPublicKey gone = LocationFixture.randomKey();

        reports.telemetry(gateway, Telemetry.newBuilder()
                .addPeers(PeerStats.newBuilder().setPublicKey(ByteString.copyFrom(peer.bytes()))
                        .setEndpoint("203.0.113.7:51820\n forged line").setLastHandshakeUnixMillis(1_700_000_000_000L)
                        .setRxBytes(10).setTxBytes(20))
                .addPeers(PeerStats.newBuilder().setPublicKey(ByteString.copyFrom(new byte[5])))
                .addEvictions(PeerEviction.newBuilder().setPublicKey(ByteString.copyFrom(gone.bytes()))
                        .setReason(EvictionReason.EVICTION_REASON_EXPIRED).setSessionId("s1").setEvictedAtUnixMillis(1000))
                .build());

        assertThat(reports.peers(gateway)).containsOnlyKeys(peer);
        GatewayReports.PeerReport report = reports.peers(gateway).get(peer);
        assertThat(report.endpoint()).doesNotContain("\n").startsWith("203.0.113.7:51820");
        assertThat(report.rxBytes()).isEqualTo(10);
        assertThat(reports.recentEvictions(gateway)).singleElement()
                .satisfies(e -> assertThat(e.reason()).isEqualTo("expired"));
    }
}
