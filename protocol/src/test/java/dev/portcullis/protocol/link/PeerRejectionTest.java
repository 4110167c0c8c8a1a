package dev.portcullis.protocol.link;

import static dev.portcullis.protocol.link.FakeCore.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.pki.cert.CaFingerprint;
import dev.portcullis.pki.cert.CertificateRequest;
import dev.portcullis.pki.cert.KeyPairs;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.cert.PeerIdentity.Role;
import dev.portcullis.pki.join.JoinToken;
import dev.portcullis.pki.store.CredentialStore;
import dev.portcullis.pki.tls.KeyMaterial;
import dev.portcullis.pki.tls.PeerPolicy;
import dev.portcullis.pki.tls.PinnedTrustManager;
import dev.portcullis.protocol.v1.ComponentKind;
import dev.portcullis.protocol.v1.ComponentMessage.BodyCase;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Only core may talk to a component: over real TLS on loopback, every other client is refused
 * during the handshake, in setup mode (before the token is revealed) and once adopted, and each
 * refusal leaves a WARN line saying why, and only that.
 */
class PeerRejectionTest {

    @TempDir
    Path dir;

    private final FakeCore core = new FakeCore();
    private final FakeCore rogue = new FakeCore();
    private final RecordingHandler handler = new RecordingHandler();
    private final LogCapture logs = new LogCapture();
    private final List<ComponentLink> links = new ArrayList<>();

    @AfterEach
    void closeEverything() {
        core.close();
        rogue.close();
        links.forEach(ComponentLink::close);
        logs.close();
    }

    private ComponentLink track(ComponentLink link) {
        links.add(link);
        return link;
    }

    // --- setup mode ----------------------------------------------------------------------------

    @Test
    void setupModeRejectsACoreCertificateFromARogueCaAndNeverRevealsTheToken() throws Exception {
        String id = TestLinks.newComponentId();
        ComponentLink link = track(TestLinks.startInSetup(Role.GATEWAY, dir, core.mintToken(id), handler));

        ManagedChannel fromRogue = rogue.dialSetup(link.port(), rogue.coreKey);

        assertJoinRefusedInHandshake(fromRogue, id);
        assertRejectionLogged("rejected core connection in setup mode", "is not the pinned");
        assertThat(link.state()).isEqualTo(LinkState.SETUP);
    }

    @Test
    void setupModeRejectsAClientWithoutACertificate() throws Exception {
        String id = TestLinks.newComponentId();
        ComponentLink link = track(TestLinks.startInSetup(Role.GATEWAY, dir, core.mintToken(id), handler));

        ManagedChannel anonymous = core.dialSetup(link.port(), null);

        assertJoinRefusedInHandshake(anonymous, id);
        assertRejectionLogged("rejected core connection from", "TLS handshake failed");
    }

    @Test
    void setupModeRejectsAClientCertificateWithAnIdentityOtherThanCoreFromThePinnedCa() throws Exception {
        ForgingAuthority forger = new ForgingAuthority();
        String id = TestLinks.newComponentId();
        ComponentLink link = track(TestLinks.startInSetup(Role.GATEWAY, dir,
                JoinToken.mint(id, CaFingerprint.of(forger.certificate)), handler));
        KeyMaterial gatewayAsClient = forger.clientFor(PeerIdentity.component(Role.GATEWAY, TestLinks.newComponentId()));

        assertJoinRefusedInHandshake(core.dialSetup(link.port(), gatewayAsClient), id);
        assertRejectionLogged("rejected core connection in setup mode", "is not the expected urn:portcullis:core");

        // The same CA's certificate for core is accepted: the refusal above was about the identity.
        assertThat(core.join(core.dialSetup(link.port(), forger.clientFor(PeerIdentity.core())), id,
                ComponentKind.COMPONENT_KIND_GATEWAY).getTokenId()).isNotEmpty();
    }

    // --- adopted mode --------------------------------------------------------------------------

    @Test
    void adoptedModeRejectsACoreCertificateFromARogueCa() throws Exception {
        String id = TestLinks.newComponentId();
        ComponentLink link = track(TestLinks.startAdopted(core, Role.EDGE_PROXY, id, dir, handler));
        PeerIdentity identity = PeerIdentity.component(Role.EDGE_PROXY, id);

        ManagedChannel fromRogue = core.dial(link.port(), rogue.coreKey, trustingComponent(identity));

        assertControlRefusedInHandshake(fromRogue);
        assertRejectionLogged("rejected core connection: client certificate",
                "is not signed by the pinned Portcullis CA");
        assertThat(handler.connected).hasValue(0);
    }

    @Test
    void adoptedModeRejectsAClientWithoutACertificate() throws Exception {
        String id = TestLinks.newComponentId();
        ComponentLink link = track(TestLinks.startAdopted(core, Role.EDGE_PROXY, id, dir, handler));

        ManagedChannel anonymous = core.dial(link.port(), null,
                trustingComponent(PeerIdentity.component(Role.EDGE_PROXY, id)));

        assertControlRefusedInHandshake(anonymous);
        assertRejectionLogged("rejected core connection from", "TLS handshake failed");
    }

    @Test
    void adoptedModeRejectsAComponentCertificateFromTheRightCa() throws Exception {
        String id = TestLinks.newComponentId();
        ComponentLink link = track(TestLinks.startAdopted(core, Role.EDGE_PROXY, id, dir, handler));
        PeerIdentity otherGateway = PeerIdentity.component(Role.GATEWAY, TestLinks.newComponentId());
        KeyPair gatewayKey = KeyPairs.generate();
        X509Certificate gatewayCertificate = core.issue(CertificateRequest.create(gatewayKey, otherGateway.uri()),
                otherGateway);

        ManagedChannel fromGateway = core.dial(link.port(),
                new KeyMaterial(gatewayKey.getPrivate(), gatewayCertificate, core.ca.certificate()),
                trustingComponent(PeerIdentity.component(Role.EDGE_PROXY, id)));

        assertControlRefusedInHandshake(fromGateway);
        assertRejectionLogged("rejected core connection: client certificate", "is not issued for TLS client use");
    }

    @Test
    void adoptedModeRejectsAClientCertificateWithAnIdentityOtherThanCoreFromThePinnedCa() throws Exception {
        ForgingAuthority forger = new ForgingAuthority();
        String id = TestLinks.newComponentId();
        PeerIdentity identity = PeerIdentity.component(Role.EDGE_PROXY, id);
        KeyPair key = KeyPairs.generate();
        new CredentialStore(dir).save(new KeyMaterial(key.getPrivate(),
                forger.issue(key.getPublic(), identity, KeyPurposeId.id_kp_serverAuth), forger.certificate),
                forger.certificate);
        ComponentLink link = track(ComponentLink.start(TestLinks.settings(Role.EDGE_PROXY, dir, Optional.empty()),
                handler));
        PinnedTrustManager forgerTrust = PinnedTrustManager.pinning(forger.certificate, PeerPolicy.only(identity),
                core.clock, reason -> { });
        KeyMaterial otherProxyAsClient = forger.clientFor(PeerIdentity.component(Role.EDGE_PROXY,
                TestLinks.newComponentId()));

        assertControlRefusedInHandshake(core.dial(link.port(), otherProxyAsClient, forgerTrust));
        assertRejectionLogged("rejected core connection: certificate identity", "is not the expected urn:portcullis:core");

        // The same CA's certificate for core is accepted: the refusal above was about the identity.
        FakeCore.Session session = core.openControl(core.dial(link.port(), forger.clientFor(PeerIdentity.core()),
                forgerTrust));
        assertThat(session.expect(BodyCase.HELLO).getHello().getComponentId()).isEqualTo(id);
    }

    @Test
    void adoptedModeRefusesTls12() throws Exception {
        String id = TestLinks.newComponentId();
        ComponentLink link = track(TestLinks.startAdopted(core, Role.GATEWAY, id, dir, handler));

        ManagedChannel oldTls = core.dial(link.port(), core.coreKey,
                trustingComponent(PeerIdentity.component(Role.GATEWAY, id)), "TLSv1.2");

        assertControlRefusedInHandshake(oldTls);
        assertRejectionLogged("rejected core connection from", "TLS handshake failed");
    }

    // --- helpers -------------------------------------------------------------------------------

    private PinnedTrustManager trustingComponent(PeerIdentity identity) {
        return PinnedTrustManager.pinning(core.ca.certificate(), PeerPolicy.only(identity), core.clock, reason -> { });
    }

    /** The handshake fails, so the Join call never reaches the component and no token comes back. */
    private void assertJoinRefusedInHandshake(ManagedChannel channel, String id) {
        assertThatThrownBy(() -> core.join(channel, id, ComponentKind.COMPONENT_KIND_GATEWAY))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    }

    private void assertControlRefusedInHandshake(ManagedChannel channel) throws Exception {
        FakeCore.Session session = core.openControl(channel);
        assertThat(session.awaitClosed().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        session.expectNothingPending();
    }

    /**
     * Each rejected connection leaves a WARN line naming the reason, and nothing else warns: a
     * trust-manager rejection is not reported a second time as a failed handshake. (The gRPC client
     * may try a second connection; that one gets its own, identical line.)
     */
    private void assertRejectionLogged(String prefix, String reason) throws InterruptedException {
        awaitTrue(() -> logs.warnings().stream().anyMatch(line -> line.contains(prefix) && line.contains(reason)),
                "a WARN line '" + prefix + " ... " + reason + "'");
        Thread.sleep(50); // a duplicate would be logged on the same event-loop pass; give it the chance
        assertThat(logs.warnings()).allSatisfy(line -> assertThat(line).contains(prefix).contains(reason));
    }
}
