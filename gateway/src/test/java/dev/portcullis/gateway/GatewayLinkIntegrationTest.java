package dev.portcullis.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.store.CredentialStore;
import dev.portcullis.protocol.link.LinkState;
import com.google.protobuf.ByteString;
import dev.portcullis.pki.wireguard.PresharedKey;
import dev.portcullis.pki.wireguard.WireGuardPrivateKey;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import dev.portcullis.protocol.testing.TestCore;
import dev.portcullis.protocol.v1.ComponentConfig;
import dev.portcullis.protocol.v1.ConfigAck;
import dev.portcullis.protocol.v1.PeerAdmission;
import dev.portcullis.protocol.v1.ComponentKind;
import dev.portcullis.protocol.v1.ComponentMessage;
import dev.portcullis.protocol.v1.ConfigUpdate;
import dev.portcullis.protocol.v1.CoreMessage;
import dev.portcullis.protocol.v1.GatewaySettings;
import dev.portcullis.protocol.v1.Hello;
import dev.portcullis.protocol.v1.Revoked;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole gateway with the real component link: a test core adopts it over real TLS on
 * loopback, opens the control stream, configures it, goes away, and revokes it.
 */
class GatewayLinkIntegrationTest {

    @TempDir
    Path stateDir;

    private final HttpClient http = HttpClient.newHttpClient();
    private TestCore core;
    private Gateway gateway;
    private final FakeDataPlane dataPlane = new FakeDataPlane();

    @BeforeEach
    void startAndAdopt() throws Exception {
        core = new TestCore();
        gateway = Gateway.start(new Gateway.Config(new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0),
                stateDir, Optional.of(core.mintToken()), Clock.systemUTC(), "test", 51820, () -> dataPlane));
        assertThat(gateway.linkState()).isEqualTo(LinkState.SETUP);
        assertThat(health().body()).contains("\"state\":\"setup\"");

        core.adopt(gateway.controlPort(), PeerIdentity.Role.GATEWAY);
        TestCore.await(() -> gateway.linkState() == LinkState.WAITING_FOR_CORE, "adopted");
    }

    @AfterEach
    void stop() {
        gateway.close();
        core.close();
    }

    @Test
    void coreAdoptsAndConfiguresTheGatewayAndTheLastConfigurationOutlivesTheStream() throws Exception {
        TestCore.Session session = core.openControl(gateway.controlPort(), PeerIdentity.Role.GATEWAY);
        Hello hello = session.expect(ComponentMessage.BodyCase.HELLO).getHello();
        assertThat(hello.getKind()).isEqualTo(ComponentKind.COMPONENT_KIND_GATEWAY);
        session.send(CoreMessage.newBuilder().setConfig(ComponentConfig.newBuilder().setVersion(1)
                .setGateway(GatewaySettings.newBuilder().setLocation("eu-central"))).build());
        assertThat(session.expect(ComponentMessage.BodyCase.ACK).getAck().getVersion()).isEqualTo(1);
        session.send(CoreMessage.newBuilder().setUpdate(ConfigUpdate.newBuilder().setBaseVersion(1).setVersion(2)
                .setGateway(GatewaySettings.newBuilder().setLocation("eu-central").setNotice("patching tonight"))).build());
        assertThat(session.expect(ComponentMessage.BodyCase.ACK).getAck().getVersion()).isEqualTo(2);

        HttpResponse<String> up = health();
        assertThat(up.statusCode()).isEqualTo(200);
        assertThat(up.body()).isEqualTo("{\"state\":\"connected\",\"configVersion\":2,\"location\":\"eu-central\","
                + "\"notice\":\"patching tonight\",\"peers\":0,\"aclRevision\":0}");
        TestCore.await(() -> session.seen.stream().anyMatch(ComponentMessage::hasTelemetry), "telemetry");

        session.hangUp();
        TestCore.await(() -> gateway.linkState() == LinkState.WAITING_FOR_CORE, "core gone");
        HttpResponse<String> away = health();
        assertThat(away.statusCode()).isEqualTo(503);
        assertThat(away.body()).contains("\"state\":\"waiting_for_core\"", "\"configVersion\":2", "\"location\":\"eu-central\"");
    }

    @Test
    void helloCarriesTheWireGuardKeyAndPortAndAnAdmissionIsAcknowledgedOnceTheDeviceHasThePeer() throws Exception {
        TestCore.Session session = core.openControl(gateway.controlPort(), PeerIdentity.Role.GATEWAY);
        Hello hello = session.expect(ComponentMessage.BodyCase.HELLO).getHello();
        assertThat(hello.getWireguardPublicKey().toByteArray())
                .isEqualTo(dataPlane.device.info().publicKey().orElseThrow().bytes());
        assertThat(hello.getWireguardListenPort()).isEqualTo(51820);
        session.send(CoreMessage.newBuilder().setConfig(ComponentConfig.newBuilder().setVersion(1)
                .setGateway(GatewaySettings.newBuilder().setLocation("eu-central"))).build());
        assertThat(session.expect(ComponentMessage.BodyCase.ACK).getAck().getVersion()).isEqualTo(1);

        WireGuardPublicKey peer = WireGuardPrivateKey.generate().publicKey();
        dataPlane.device.block();
        session.send(CoreMessage.newBuilder().setUpdate(ConfigUpdate.newBuilder().setBaseVersion(1).setVersion(2)
                .setAdmit(PeerAdmission.newBuilder().setPublicKey(ByteString.copyFrom(peer.bytes()))
                        .setPresharedKey(ByteString.copyFrom(PresharedKey.generate().bytes()))
                        .addAllowedIps("10.80.0.2/32")
                        .setNotAfterUnixMillis(System.currentTimeMillis() + 3_600_000))).build());
        assertThat(dataPlane.device.awaitBlocked()).isTrue();
        Thread.sleep(200);
        assertThat(session.seen.stream().filter(ComponentMessage::hasAck)).as("no ack while the device has not applied it")
                .hasSize(1);
        dataPlane.device.release();

        ConfigAck ack = session.expect(ComponentMessage.BodyCase.ACK).getAck();
        assertThat(ack.getVersion()).isEqualTo(2);
        assertThat(ack.getError()).isEmpty();
        assertThat(dataPlane.device.keys()).containsExactly(peer);
        assertThat(health().body()).contains("\"peers\":1");
    }

    @Test
    void revocationStopsTheGatewayAndWipesTheCredentials() throws Exception {
        TestCore.Session session = core.openControl(gateway.controlPort(), PeerIdentity.Role.GATEWAY);
        session.expect(ComponentMessage.BodyCase.HELLO);
        int healthPort = gateway.healthPort();

        session.send(CoreMessage.newBuilder().setRevoked(Revoked.newBuilder().setReason("removed by admin")).build());

        assertThat(gateway.stopped().get(10, TimeUnit.SECONDS)).isEqualTo(Gateway.Stop.REVOKED);
        assertThat(new CredentialStore(stateDir).load()).isEmpty();
        assertThatThrownBy(() -> new Socket("127.0.0.1", healthPort).close()).isInstanceOf(ConnectException.class);
    }

    private HttpResponse<String> health() throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.healthPort() + "/healthz")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
