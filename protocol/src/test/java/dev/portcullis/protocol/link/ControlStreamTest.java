package dev.portcullis.protocol.link;

import static dev.portcullis.protocol.link.FakeCore.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.portcullis.pki.cert.CertificateRequest;
import dev.portcullis.pki.cert.Certificates;
import dev.portcullis.pki.cert.KeyPairs;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.cert.PeerIdentity.Role;
import dev.portcullis.pki.store.CredentialStore;
import dev.portcullis.pki.store.CredentialStore.StoredCredentials;
import dev.portcullis.protocol.v1.CertificateIssued;
import dev.portcullis.protocol.v1.ComponentConfig;
import dev.portcullis.protocol.v1.ComponentMessage;
import dev.portcullis.protocol.v1.ComponentMessage.BodyCase;
import dev.portcullis.protocol.v1.ConfigAck;
import dev.portcullis.protocol.v1.ConfigUpdate;
import dev.portcullis.protocol.v1.CoreMessage;
import dev.portcullis.protocol.v1.EdgeProxySettings;
import dev.portcullis.protocol.v1.GatewaySettings;
import dev.portcullis.protocol.v1.Ping;
import dev.portcullis.protocol.v1.ProxyRequest;
import dev.portcullis.protocol.v1.ProxyResponse;
import dev.portcullis.protocol.v1.Revoked;
import dev.portcullis.protocol.v1.RotateCertificate;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control stream of an adopted component, driven by a fake core over real mTLS on loopback. */
class ControlStreamTest {

    @TempDir
    Path dir;

    private final FakeCore core = new FakeCore();
    private final RecordingHandler handler = new RecordingHandler();
    private final LogCapture logs = new LogCapture();
    private final String id = TestLinks.newComponentId();
    private final PeerIdentity identity = PeerIdentity.component(Role.GATEWAY, id);
    private ComponentLink link;

    @BeforeEach
    void startAdoptedGateway() throws IOException {
        link = TestLinks.startAdopted(core, Role.GATEWAY, id, dir, handler);
    }

    @AfterEach
    void closeEverything() {
        core.close();
        link.close();
        logs.close();
    }

    private FakeCore.Session connect() throws InterruptedException {
        FakeCore.Session session = core.openControl(core.dialAdopted(link.port(), identity));
        session.expect(BodyCase.HELLO);
        return session;
    }

    @Test
    void configIsAppliedAndAcknowledgedWithItsVersion() throws Exception {
        FakeCore.Session session = connect();

        session.send(config(4, "office"));

        assertThat(session.expect(BodyCase.ACK).getAck()).isEqualTo(ConfigAck.newBuilder().setVersion(4).build());
        assertThat(handler.configs).extracting(ComponentConfig::getVersion).containsExactly(4L);
        assertThat(link.configVersion()).isEqualTo(4);
    }

    @Test
    void updateOnAnotherBaseVersionAsksForResyncAndIsNotApplied() throws Exception {
        FakeCore.Session session = connect();
        session.send(config(5, "office"));
        session.expect(BodyCase.ACK);

        session.send(update(4, 6, "lab"));

        ConfigAck ack = session.expect(BodyCase.ACK).getAck();
        assertThat(ack.getResyncNeeded()).isTrue();
        assertThat(ack.getVersion()).isEqualTo(5);
        assertThat(handler.updates).isEmpty();
        assertThat(link.configVersion()).isEqualTo(5);
    }

    @Test
    void updateOnTheCurrentVersionIsAppliedAndAcknowledged() throws Exception {
        FakeCore.Session session = connect();
        session.send(config(5, "office"));
        session.expect(BodyCase.ACK);

        session.send(update(5, 6, "lab"));

        assertThat(session.expect(BodyCase.ACK).getAck()).isEqualTo(ConfigAck.newBuilder().setVersion(6).build());
        assertThat(handler.updates).singleElement()
                .satisfies(update -> assertThat(update.getGateway().getLocation()).isEqualTo("lab"));
        assertThat(link.configVersion()).isEqualTo(6);
    }

    @Test
    void configTheHandlerRefusesIsAcknowledgedWithItsReasonAndTheVersionIsKept() throws Exception {
        FakeCore.Session session = connect();
        handler.refuseWith = "location 'moon' is not served here";

        session.send(config(2, "moon"));

        ConfigAck ack = session.expect(BodyCase.ACK).getAck();
        assertThat(ack.getVersion()).isZero();
        assertThat(ack.getError()).isEqualTo("location 'moon' is not served here");
        assertThat(link.configVersion()).isZero();
    }

    @Test
    void settingsForTheOtherKindOfComponentAreRefusedBeforeTheHandlerSeesThem() throws Exception {
        FakeCore.Session session = connect();

        session.send(CoreMessage.newBuilder().setConfig(ComponentConfig.newBuilder().setVersion(1)
                .setEdgeProxy(EdgeProxySettings.newBuilder().setPublicOrigin("https://access.example.com"))).build());

        ConfigAck ack = session.expect(BodyCase.ACK).getAck();
        assertThat(ack.getError()).contains("edge-proxy");
        assertThat(handler.configs).isEmpty();
        assertThat(link.configVersion()).isZero();
    }

    @Test
    void pingIsAnsweredWithTheSameNonce() throws Exception {
        FakeCore.Session session = connect();

        session.send(ping(0xfeedL));

        assertThat(session.expect(BodyCase.PONG).getPong().getNonce()).isEqualTo(0xfeedL);
    }

    @Test
    void rotationReplacesTheCertificateWithoutDroppingTheStream() throws Exception {
        X509Certificate original = link.certificate().orElseThrow();
        FakeCore.Session session = connect();

        session.send(CoreMessage.newBuilder().setRotate(RotateCertificate.getDefaultInstance()).build());
        CertificateRequest request = CertificateRequest.parse(
                session.expect(BodyCase.ROTATION_CSR).getRotationCsr().getCsrDer().toByteArray());
        assertThat(request.publicKey()).isNotEqualTo(original.getPublicKey());
        X509Certificate rotated = core.issue(request, identity);
        session.send(issued(rotated));

        assertThat(session.expect(BodyCase.ROTATION_DONE).getRotationDone().getSerialHex())
                .isEqualTo(Certificates.serialHex(rotated));
        // The stream that carried the rotation keeps working.
        session.send(ping(7));
        assertThat(session.expect(BodyCase.PONG).getPong().getNonce()).isEqualTo(7);
        session.send(config(1, "office"));
        assertThat(session.expect(BodyCase.ACK).getAck().getVersion()).isEqualTo(1);
        assertThat(session.closed).isNotDone();
        assertThat(handler.disconnected).hasValue(0);
        assertThat(link.state()).isEqualTo(LinkState.CONNECTED);
        // New connections are served the new certificate; it is what the store holds.
        FakeCore.RecordingTrust[] seen = new FakeCore.RecordingTrust[1];
        assertThat(FakeCore.connects(core.dialAdopted(link.port(), core.coreKey, identity, seen))).isTrue();
        assertThat(Certificates.serialHex(seen[0].serverCertificate())).isEqualTo(Certificates.serialHex(rotated));
        assertThat(link.certificate()).contains(rotated);
        StoredCredentials stored = new CredentialStore(dir).load().orElseThrow();
        assertThat(stored.keyMaterial().leaf()).isEqualTo(rotated);
        assertThat(stored.ca()).isEqualTo(core.ca.certificate());
    }

    @Test
    void rotationRefusesACertificateForAnotherKeyAndKeepsTheCurrentOne() throws Exception {
        X509Certificate original = link.certificate().orElseThrow();
        FakeCore.Session session = connect();
        session.send(CoreMessage.newBuilder().setRotate(RotateCertificate.getDefaultInstance()).build());
        CertificateRequest request = CertificateRequest.parse(
                session.expect(BodyCase.ROTATION_CSR).getRotationCsr().getCsrDer().toByteArray());

        session.send(issued(core.issue(CertificateRequest.create(KeyPairs.generate(), identity.uri()), identity)));
        session.send(ping(1));

        assertThat(session.expect(BodyCase.PONG).getPong().getNonce()).as("no RotationDone before the pong").isEqualTo(1);
        assertThat(link.certificate()).contains(original);
        assertThat(new CredentialStore(dir).load().orElseThrow().keyMaterial().leaf()).isEqualTo(original);
        assertThat(logs.warnings()).anySatisfy(line -> assertThat(line)
                .contains("refused the rotated certificate").contains("not for the key this component generated"));

        // The pending key is kept, so core can still send the right certificate.
        X509Certificate rotated = core.issue(request, identity);
        session.send(issued(rotated));
        assertThat(session.expect(BodyCase.ROTATION_DONE).getRotationDone().getSerialHex())
                .isEqualTo(Certificates.serialHex(rotated));
    }

    @Test
    void revokedWipesTheCredentialsAndStopsTheServer() throws Exception {
        FakeCore.Session session = connect();
        int port = link.port();

        session.send(CoreMessage.newBuilder().setRevoked(Revoked.newBuilder().setReason("removed by admin")).build());

        assertThat(session.awaitClosed().getCode()).isEqualTo(Status.Code.OK);
        awaitTrue(() -> link.state() == LinkState.REVOKED, "link revoked");
        assertThat(handler.revokedReason).hasValue("removed by admin");
        assertThat(dir.resolve("key.pem")).doesNotExist();
        assertThat(dir.resolve("cert.pem")).doesNotExist();
        assertThat(dir.resolve("ca.pem")).doesNotExist();
        assertThat(link.certificate()).isEmpty();
        assertThat(link.send(pong())).isFalse();
        awaitTrue(() -> !acceptsTcp(port), "port " + port + " closed");
        FakeCore.Session afterwards = core.openControl(core.dialAdopted(port, identity));
        assertThat(afterwards.awaitClosed().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    }

    @Test
    void aSecondControlStreamReplacesTheFirst() throws Exception {
        ManagedChannel channel = core.dialAdopted(link.port(), identity);
        FakeCore.Session first = core.openControl(channel);
        first.expect(BodyCase.HELLO);

        FakeCore.Session second = core.openControl(core.dialAdopted(link.port(), identity));
        second.expect(BodyCase.HELLO);

        assertThat(first.awaitClosed().getCode()).isEqualTo(Status.Code.ABORTED);
        second.send(ping(2));
        assertThat(second.expect(BodyCase.PONG).getPong().getNonce()).isEqualTo(2);
        assertThat(link.send(pong())).isTrue();
        assertThat(second.expect(BodyCase.PONG)).isNotNull();
        first.expectNothingPending();
        assertThat(link.state()).isEqualTo(LinkState.CONNECTED);
        assertThat(handler.connected).hasValue(2);
        assertThat(handler.disconnected).hasValue(0);
    }

    @Test
    void sendReturnsFalseWhenCoreHasNoStream() throws Exception {
        ComponentMessage request = ComponentMessage.newBuilder().setProxyRequest(ProxyRequest.newBuilder()
                .setRequestId(9).setMethod("GET").setPath("/enroll")).build();
        assertThat(link.state()).isEqualTo(LinkState.WAITING_FOR_CORE);
        assertThat(link.send(request)).isFalse();

        FakeCore.Session session = connect();
        assertThat(link.send(request)).isTrue();
        assertThat(session.expect(BodyCase.PROXY_REQUEST).getProxyRequest().getRequestId()).isEqualTo(9);
        session.send(CoreMessage.newBuilder().setProxyResponse(ProxyResponse.newBuilder().setRequestId(9).setStatus(200))
                .build());
        awaitTrue(() -> handler.proxyResponses.size() == 1, "proxy response handed to the handler");

        session.cancel();
        awaitTrue(() -> link.state() == LinkState.WAITING_FOR_CORE, "link waiting for core");
        assertThat(link.send(request)).isFalse();
    }

    @Test
    void whenTheStreamEndsTheComponentWaitsForCoreAndKeepsItsConfiguration() throws Exception {
        FakeCore.Session session = connect();
        session.send(config(7, "office"));
        session.expect(BodyCase.ACK);

        session.cancel();

        awaitTrue(() -> link.state() == LinkState.WAITING_FOR_CORE, "link waiting for core");
        awaitTrue(() -> handler.disconnected.get() == 1, "handler told core is away");
        assertThat(link.configVersion()).isEqualTo(7);
        FakeCore.Session again = core.openControl(core.dialAdopted(link.port(), identity));
        assertThat(again.expect(BodyCase.HELLO).getHello().getConfigVersion()).isEqualTo(7);
        assertThat(handler.connected).hasValue(2);
    }

    @Test
    void closeStopsTheServerAndIsIdempotent() throws Exception {
        FakeCore.Session session = connect();
        int port = link.port();

        link.close();
        link.close();

        assertThat(link.state()).isEqualTo(LinkState.CLOSED);
        // The server going away ends core's stream: gRPC reports UNAVAILABLE when the transport
        // closes first and CANCELLED when the server's RST_STREAM arrives first (seen under load).
        assertThat(session.awaitClosed().getCode()).isIn(Status.Code.UNAVAILABLE, Status.Code.CANCELLED);
        assertThat(acceptsTcp(port)).isFalse();
        assertThat(Files.exists(dir.resolve("key.pem"))).as("closing is not revoking").isTrue();
    }

    // --- messages ------------------------------------------------------------------------------

    private static CoreMessage config(long version, String location) {
        return CoreMessage.newBuilder().setConfig(ComponentConfig.newBuilder().setVersion(version)
                .setGateway(GatewaySettings.newBuilder().setLocation(location))).build();
    }

    private static CoreMessage update(long base, long version, String location) {
        return CoreMessage.newBuilder().setUpdate(ConfigUpdate.newBuilder().setBaseVersion(base).setVersion(version)
                .setGateway(GatewaySettings.newBuilder().setLocation(location))).build();
    }

    private static CoreMessage ping(long nonce) {
        return CoreMessage.newBuilder().setPing(Ping.newBuilder().setNonce(nonce)).build();
    }

    private static ComponentMessage pong() {
        return ComponentMessage.newBuilder().setPong(dev.portcullis.protocol.v1.Pong.newBuilder().setNonce(1)).build();
    }

    private CoreMessage issued(X509Certificate certificate) {
        return CoreMessage.newBuilder().setCertificate(CertificateIssued.newBuilder()
                .setCertificateDer(ByteString.copyFrom(Certificates.der(certificate)))
                .setCaCertificateDer(ByteString.copyFrom(Certificates.der(core.ca.certificate())))).build();
    }

    private static boolean acceptsTcp(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
