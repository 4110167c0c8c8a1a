package dev.portcullis.core.link;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.portcullis.pki.authority.CertificateAuthority;
import dev.portcullis.pki.cert.CaFingerprint;
import dev.portcullis.pki.cert.CertificateRequest;
import dev.portcullis.pki.cert.Certificates;
import dev.portcullis.pki.cert.KeyPairs;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.join.JoinToken;
import dev.portcullis.pki.store.CredentialStore;
import dev.portcullis.pki.tls.KeyMaterial;
import dev.portcullis.protocol.link.ComponentLink;
import dev.portcullis.protocol.link.LinkSettings;
import dev.portcullis.protocol.link.LinkState;
import dev.portcullis.protocol.v1.JoinProof;
import dev.portcullis.protocol.v1.ProxyResponse;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Core's links against real component links over real TLS on loopback: adoption, the ways a
 * join must fail, mutual identity checks, rotation, revocation and reconnection.
 */
class LinkSupervisorTest {

    private static final Duration TOKEN_TTL = Duration.ofHours(1);

    @TempDir
    Path temp;

    private final Clock clock = Clock.systemUTC();
    private final CertificateAuthority ca = CertificateAuthority.create("test core CA", clock);
    private final FakeDirectory directory = new FakeDirectory(clock, CaFingerprint.of(ca.certificate()));
    private final Deque<AutoCloseable> cleanup = new ArrayDeque<>();
    private LinkSupervisor supervisor;
    private final List<dev.portcullis.protocol.v1.Hello> hellos = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<dev.portcullis.protocol.v1.Telemetry> telemetry = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** A running component with the handler that records what core sent it. */
    private record Running(String id, ComponentLink link, RecordingHandler handler, Path stateDir) {
    }

    @BeforeEach
    void startCore() {
        supervisor = newSupervisor();
        supervisor.start();
    }

    @AfterEach
    void stopEverything() throws Exception {
        if (supervisor != null) {
            supervisor.close();
        }
        while (!cleanup.isEmpty()) {
            cleanup.pop().close();
        }
    }

    private LinkSupervisor newSupervisor() {
        SupervisorSettings fast = new SupervisorSettings(Duration.ofDays(7), 2.0 / 3.0, Duration.ofMillis(50),
                Duration.ofMillis(400), clock);
        return new LinkSupervisor(directory, ca,
                (request, edge) -> ProxyResponse.newBuilder().setStatus(200).build(), fast, new ComponentReports() {
                    @Override
                    public void hello(String componentId, dev.portcullis.protocol.v1.Hello hello) {
                        hellos.add(hello);
                    }

                    @Override
                    public void telemetry(String componentId, dev.portcullis.protocol.v1.Telemetry report) {
                        telemetry.add(report);
                    }
                });
    }

    private ComponentLink startLink(Path stateDir, Optional<JoinToken> token, int port, RecordingHandler handler)
            throws IOException {
        ComponentLink link = ComponentLink.start(new LinkSettings(PeerIdentity.Role.GATEWAY,
                new InetSocketAddress("127.0.0.1", port), new CredentialStore(stateDir), token, clock, "test"), handler);
        cleanup.push(link);
        return link;
    }

    private Running register(String name, Duration ttl) throws IOException {
        JoinToken token = directory.register(name, PeerIdentity.Role.GATEWAY, 0, ttl);
        RecordingHandler handler = new RecordingHandler();
        Path stateDir = temp.resolve(name);
        ComponentLink link = startLink(stateDir, Optional.of(token), 0, handler);
        directory.movePort(token.componentId(), link.port());
        supervisor.componentRegistered(token.componentId());
        return new Running(token.componentId(), link, handler, stateDir);
    }

    private Running adopt(String name) throws IOException {
        Running component = register(name, TOKEN_TTL);
        awaitConnected(component);
        return component;
    }

    private void awaitConnected(Running component) {
        Eventually.await(component.id() + " connected on both ends",
                () -> component.link().state() == LinkState.CONNECTED && phase(component.id()) == LinkPhase.CONNECTED,
                () -> "component=" + component.link().state() + " core=" + supervisor.statuses().get(component.id()));
    }

    private LinkPhase phase(String id) {
        LinkStatus status = supervisor.statuses().get(id);
        return status == null ? null : status.phase();
    }

    private String lastError(String id) {
        LinkStatus status = supervisor.statuses().get(id);
        return status == null ? "" : status.lastError().orElse("");
    }

    private BigInteger serial(ComponentLink link) {
        return link.certificate().orElseThrow().getSerialNumber();
    }

    // ---- adoption --------------------------------------------------------------------------

    @Test
    void adoptionWithAGoodTokenConnectsAndDeliversTheConfiguration() throws IOException {
        Running gateway = adopt("gw-1");

        List<X509Certificate> issued = directory.issued(gateway.id());
        assertThat(issued).hasSize(1);
        assertThat(serial(gateway.link())).isEqualTo(issued.get(0).getSerialNumber());
        assertThat(Certificates.identity(issued.get(0)))
                .contains(PeerIdentity.component(PeerIdentity.Role.GATEWAY, gateway.id()));
        Eventually.await("configuration applied", () -> !gateway.handler().configs.isEmpty());
        assertThat(gateway.handler().configs.get(0).getGateway().getLocation()).isEqualTo("office");
        Eventually.await("configuration acknowledged",
                () -> supervisor.statuses().get(gateway.id()).configVersionAcked() == 1);
    }

    @Test
    void aReusedTokenIsRefused() throws Exception {
        Running gateway = adopt("gw-1");
        JoinToken original = tokenFromFirstUse(gateway);
        gateway.link().close();
        directory.resetToPending(gateway.id());

        RecordingHandler handler = new RecordingHandler();
        ComponentLink again = startLink(temp.resolve("gw-1-again"), Optional.of(original), gateway.link().port(), handler);
        Eventually.await("core refuses the used token", () -> lastError(gateway.id()).contains("already used"),
                () -> lastError(gateway.id()));

        assertThat(again.state()).isEqualTo(LinkState.SETUP);
        assertThat(directory.issued(gateway.id())).hasSize(1);
    }

    @Test
    void anExpiredTokenIsRefused() throws IOException {
        Running gateway = register("gw-late", Duration.ofSeconds(-1));

        Eventually.await("core refuses the expired token", () -> lastError(gateway.id()).contains("expired"),
                () -> lastError(gateway.id()));
        assertThat(gateway.link().state()).isEqualTo(LinkState.SETUP);
        assertThat(directory.issued(gateway.id())).isEmpty();
    }

    @Test
    void aTokenForAnotherComponentIsRefusedAndStaysUsableForItsOwner() throws Exception {
        JoinToken tokenOfX = directory.register("gw-x", PeerIdentity.Role.GATEWAY, 0, TOKEN_TTL);
        JoinToken tokenOfY = directory.register("gw-y", PeerIdentity.Role.GATEWAY, 0, TOKEN_TTL);
        KeyPair key = KeyPairs.generate();
        ImpostorComponent impostorAtY = new ImpostorComponent(selfIssued(key, tokenOfY.componentId()),
                proof(key, tokenOfX));
        cleanup.push(impostorAtY);
        directory.movePort(tokenOfY.componentId(), impostorAtY.port());
        supervisor.componentRegistered(tokenOfY.componentId());

        Eventually.await("core refuses the token of another component",
                () -> lastError(tokenOfY.componentId()).contains("wrong component"),
                () -> lastError(tokenOfY.componentId()));
        assertThat(impostorAtY.certificatesReceived).isEmpty();
        assertThat(directory.issued(tokenOfY.componentId())).isEmpty();

        RecordingHandler handler = new RecordingHandler();
        ComponentLink x = startLink(temp.resolve("gw-x"), Optional.of(tokenOfX), 0, handler);
        directory.movePort(tokenOfX.componentId(), x.port());
        supervisor.componentRegistered(tokenOfX.componentId());
        awaitConnected(new Running(tokenOfX.componentId(), x, handler, temp.resolve("gw-x")));
    }

    @Test
    void aTokenWithTheWrongSecretIsRefusedAndNotUsedUp() throws Exception {
        JoinToken token = directory.register("gw-1", PeerIdentity.Role.GATEWAY, 0, TOKEN_TTL);
        KeyPair key = KeyPairs.generate();
        JoinProof guessed = proof(key, token).toBuilder()
                .setTokenSecret(ByteString.copyFrom(new byte[JoinToken.SECRET_BYTES])).build();
        ImpostorComponent guesser = new ImpostorComponent(selfIssued(key, token.componentId()), guessed);
        cleanup.push(guesser);
        directory.movePort(token.componentId(), guesser.port());
        supervisor.componentRegistered(token.componentId());

        Eventually.await("core refuses the wrong secret", () -> lastError(token.componentId()).contains("wrong secret"),
                () -> lastError(token.componentId()));
        assertThat(guesser.certificatesReceived).isEmpty();
        guesser.close();

        RecordingHandler handler = new RecordingHandler();
        ComponentLink real = startLink(temp.resolve("gw-1"), Optional.of(token), 0, handler);
        directory.movePort(token.componentId(), real.port());
        awaitConnected(new Running(token.componentId(), real, handler, temp.resolve("gw-1")));
    }

    @Test
    void aCertificateRequestForAKeyOtherThanTheChannelsIsRefused() throws Exception {
        JoinToken token = directory.register("gw-1", PeerIdentity.Role.GATEWAY, 0, TOKEN_TTL);
        KeyPair channelKey = KeyPairs.generate();
        KeyPair otherKey = KeyPairs.generate();
        ImpostorComponent impostor = new ImpostorComponent(selfIssued(channelKey, token.componentId()),
                proof(otherKey, token));
        cleanup.push(impostor);
        directory.movePort(token.componentId(), impostor.port());
        supervisor.componentRegistered(token.componentId());

        Eventually.await("core refuses the mismatched request",
                () -> lastError(token.componentId()).contains("not for the key of the TLS channel"),
                () -> lastError(token.componentId()));
        assertThat(impostor.certificatesReceived).isEmpty();
        assertThat(directory.issued(token.componentId())).isEmpty();
    }

    // ---- identity after adoption ---------------------------------------------------------

    @Test
    void aComponentWithACertificateFromARogueCaIsRejected() throws Exception {
        Running gateway = adopt("gw-1");
        gateway.link().close();
        CertificateAuthority rogue = CertificateAuthority.create("rogue CA", clock);
        KeyPair key = KeyPairs.generate();
        X509Certificate forged = rogue.issueComponent(CertificateRequest.create(key, "forged"),
                PeerIdentity.component(PeerIdentity.Role.GATEWAY, gateway.id()), List.of("127.0.0.1"),
                Duration.ofDays(1));
        ImpostorComponent impostor = new ImpostorComponent(new KeyMaterial(key.getPrivate(), forged, rogue.certificate()),
                JoinProof.getDefaultInstance());
        cleanup.push(impostor);
        directory.movePort(gateway.id(), impostor.port());

        Eventually.await("core rejects the rogue certificate",
                () -> lastError(gateway.id()).contains("not signed by the pinned Portcullis CA"),
                () -> lastError(gateway.id()));
        Eventually.never("impostor receives configuration", Duration.ofMillis(500),
                () -> !impostor.controlMessages.isEmpty());
        assertThat(phase(gateway.id())).isNotEqualTo(LinkPhase.CONNECTED);
    }

    @Test
    void aCertificateIssuedToAnotherComponentIsRejected() throws IOException {
        Running a = adopt("gw-a");
        Running b = adopt("gw-b");
        a.link().close();
        directory.movePort(a.id(), b.link().port());

        Eventually.await("core rejects b's certificate where it expects a",
                () -> lastError(a.id()).contains("is not the expected"), () -> lastError(a.id()));
        assertThat(b.handler().connects.get()).isEqualTo(1);
        assertThat(phase(b.id())).isEqualTo(LinkPhase.CONNECTED);
    }

    // ---- rotation --------------------------------------------------------------------------

    @Test
    void rotationReplacesTheCertificateWithoutDroppingTheStream() throws IOException {
        Running gateway = adopt("gw-1");
        BigInteger before = serial(gateway.link());

        supervisor.rotateNow(gateway.id());
        Eventually.await("component presents a new certificate",
                () -> !serial(gateway.link()).equals(before) && directory.issued(gateway.id()).size() == 2);

        assertThat(serial(gateway.link())).isEqualTo(directory.issued(gateway.id()).get(1).getSerialNumber());
        assertThat(new CredentialStore(gateway.stateDir()).load().orElseThrow().keyMaterial().leaf().getSerialNumber())
                .isEqualTo(serial(gateway.link()));
        supervisor.configurationChanged(gateway.id(), directory.setNotice(gateway.id(), "after rotation"));
        Eventually.await("update arrives on the same stream", () -> "after rotation".equals(gateway.handler().notice));
        assertThat(gateway.handler().connects.get()).isEqualTo(1);
        assertThat(gateway.handler().disconnects.get()).isZero();
    }

    @Test
    void aReplacedCertificateIsRefused() throws Exception {
        Running gateway = adopt("gw-1");
        KeyMaterial original = new CredentialStore(gateway.stateDir()).load().orElseThrow().keyMaterial();
        for (int rotation = 1; rotation <= 2; rotation++) {
            int expected = rotation + 1;
            supervisor.rotateNow(gateway.id());
            Eventually.await("rotation " + rotation, () -> directory.issued(gateway.id()).size() == expected
                    && serial(gateway.link()).equals(directory.issued(gateway.id()).get(expected - 1).getSerialNumber()));
        }
        gateway.link().close();
        ImpostorComponent replay = new ImpostorComponent(original, JoinProof.getDefaultInstance());
        cleanup.push(replay);
        directory.movePort(gateway.id(), replay.port());

        Eventually.await("core refuses the superseded certificate",
                () -> lastError(gateway.id()).contains("is not the one core issued"), () -> lastError(gateway.id()));
        assertThat(replay.controlMessages).isEmpty();
    }

    // ---- removal ---------------------------------------------------------------------------

    @Test
    void removingAComponentClosesItsStreamWipesItsCredentialsAndRefusesItsCertificate() throws IOException {
        Running gateway = adopt("gw-1");
        BigInteger serial = serial(gateway.link());

        directory.remove(gateway.id());
        supervisor.componentRemoved(gateway.id(), "decommissioned");

        Eventually.await("component revoked", () -> gateway.link().state() == LinkState.REVOKED,
                () -> "state=" + gateway.link().state());
        // The link shows REVOKED a moment before it tells its handler (ControlService.revoke).
        Eventually.await("the component's handler told", () -> !gateway.handler().revocations.isEmpty(),
                () -> "revocations=" + gateway.handler().revocations);
        assertThat(gateway.handler().revocations).containsExactly("decommissioned");
        assertThat(Files.exists(gateway.stateDir().resolve("key.pem"))).isFalse();
        assertThat(directory.acceptsCertificate(gateway.id(), serial)).isFalse();
        assertThat(supervisor.statuses()).doesNotContainKey(gateway.id());
    }

    // ---- configuration and reconnection ----------------------------------------------------

    @Test
    void anIncrementalUpdateReachesTheComponentAndIsAcknowledged() throws IOException {
        Running gateway = adopt("gw-1");

        supervisor.configurationChanged(gateway.id(), directory.setNotice(gateway.id(), "maintenance at 18:00"));

        Eventually.await("update applied", () -> "maintenance at 18:00".equals(gateway.handler().notice));
        Eventually.await("update acknowledged", () -> supervisor.statuses().get(gateway.id()).configVersionAcked() == 2);
        assertThat(gateway.handler().updates).hasSize(1);
    }

    @Test
    void aPushedUpdateCompletesOnlyOnceTheComponentAppliedIt() throws Exception {
        Running gateway = adopt("gw-1");
        gateway.handler().holdUpdates = new java.util.concurrent.CountDownLatch(1);

        var acknowledged = supervisor.pushUpdate(gateway.id(), directory.setNotice(gateway.id(), "applied"));
        Eventually.never("acknowledged before the component applied it", Duration.ofMillis(300), acknowledged::isDone);
        gateway.handler().holdUpdates.countDown();

        acknowledged.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(gateway.handler().notice).isEqualTo("applied");
    }

    @Test
    void aPushedUpdateFailsWhenTheComponentRefusesIt() throws Exception {
        Running gateway = adopt("gw-1");

        var acknowledged = supervisor.pushUpdate(gateway.id(), directory.setNotice(gateway.id(), RecordingHandler.REFUSE));

        assertThat(acknowledged).failsWithin(Duration.ofSeconds(10)).withThrowableThat()
                .havingRootCause().isInstanceOf(RefusedUpdateException.class).withMessageContaining("not acceptable");
    }

    @Test
    void aPushedUpdateFailsAtOnceForAComponentThatIsNotConnected() throws Exception {
        Running gateway = adopt("gw-1");
        gateway.link().close();
        Eventually.await("core notices the component left", () -> phase(gateway.id()) != LinkPhase.CONNECTED);

        var acknowledged = supervisor.pushUpdate(gateway.id(), directory.setNotice(gateway.id(), "lost"));

        assertThat(acknowledged).failsWithin(Duration.ofSeconds(1)).withThrowableThat()
                .havingRootCause().withMessageContaining("not connected");
    }

    @Test
    void aPushedUpdateFailsWhenTheStreamEndsBeforeTheAcknowledgement() throws Exception {
        Running gateway = adopt("gw-1");
        gateway.handler().holdUpdates = new java.util.concurrent.CountDownLatch(1);
        var acknowledged = supervisor.pushUpdate(gateway.id(), directory.setNotice(gateway.id(), "never"));

        gateway.link().close();
        gateway.handler().holdUpdates.countDown();

        assertThat(acknowledged).failsWithin(Duration.ofSeconds(10)).withThrowableThat()
                .havingRootCause().isInstanceOf(RefusedUpdateException.class);
    }

    @Test
    void whatAComponentReportsReachesCore() throws Exception {
        Running gateway = adopt("gw-1");
        Eventually.await("hello recorded", () -> !hellos.isEmpty());
        assertThat(hellos.get(0).getComponentId()).isEqualTo(gateway.id());
        assertThat(hellos.get(0).getWireguardListenPort()).isEqualTo(51820);

        gateway.link().send(dev.portcullis.protocol.v1.ComponentMessage.newBuilder().setTelemetry(
                dev.portcullis.protocol.v1.Telemetry.newBuilder().setAclDroppedPackets(7)).build());
        Eventually.await("telemetry recorded", () -> telemetry.stream().anyMatch(t -> t.getAclDroppedPackets() == 7));
    }

    @Test
    void aComponentKeepsItsConfigurationWhileCoreIsAwayAndCoreReconnectsWithoutAToken() throws IOException {
        Running gateway = adopt("gw-1");
        supervisor.configurationChanged(gateway.id(), directory.setNotice(gateway.id(), "kept"));
        Eventually.await("update applied", () -> "kept".equals(gateway.handler().notice));

        supervisor.close();
        supervisor = null;
        Eventually.await("component notices core left", () -> gateway.link().state() == LinkState.WAITING_FOR_CORE);
        assertThat(gateway.handler().notice).isEqualTo("kept");
        assertThat(gateway.link().configVersion()).isEqualTo(2);

        supervisor = newSupervisor();
        supervisor.start();
        awaitConnected(gateway);
        Eventually.await("component saw the second connection", () -> gateway.handler().connects.get() == 2);
        assertThat(directory.issued(gateway.id())).hasSize(1);
    }

    @Test
    void aRestartedComponentIsRedialedAndComesBackFromItsStoredCredentials() throws IOException {
        Running gateway = adopt("gw-1");
        int port = gateway.link().port();
        gateway.link().close();
        Eventually.await("core notices the component left", () -> phase(gateway.id()) != LinkPhase.CONNECTED);

        RecordingHandler handler = new RecordingHandler();
        ComponentLink restarted = startLink(gateway.stateDir(), Optional.empty(), port, handler);
        awaitConnected(new Running(gateway.id(), restarted, handler, gateway.stateDir()));
        Eventually.await("configuration applied after the restart", () -> !handler.configs.isEmpty());
        assertThat(directory.issued(gateway.id())).hasSize(1);
    }

    // ---- helpers ---------------------------------------------------------------------------

    private JoinToken tokenFromFirstUse(Running gateway) {
        return directory.firstToken(gateway.id());
    }

    private static JoinProof proof(KeyPair csrKey, JoinToken token) {
        return JoinProof.newBuilder()
                .setCsrDer(ByteString.copyFrom(CertificateRequest.create(csrKey, "impostor").der()))
                .setTokenId(token.tokenId())
                .setTokenSecret(ByteString.copyFrom(token.secret()))
                .build();
    }

    /** A setup-mode style certificate: not from core's CA (an unrelated one), for the given key. */
    private KeyMaterial selfIssued(KeyPair key, String componentId) {
        CertificateAuthority unrelated = CertificateAuthority.create("impostor", clock);
        X509Certificate certificate = unrelated.issueComponent(CertificateRequest.create(key, "impostor"),
                PeerIdentity.component(PeerIdentity.Role.GATEWAY, componentId), List.of("127.0.0.1"), Duration.ofDays(1));
        return new KeyMaterial(key.getPrivate(), certificate);
    }
}
