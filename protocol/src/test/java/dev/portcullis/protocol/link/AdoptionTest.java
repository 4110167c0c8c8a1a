package dev.portcullis.protocol.link;

import static dev.portcullis.protocol.link.FakeCore.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.pki.authority.CertificateAuthority;
import dev.portcullis.pki.cert.CaFingerprint;
import dev.portcullis.pki.cert.CertificateRequest;
import dev.portcullis.pki.cert.Certificates;
import dev.portcullis.pki.cert.KeyPairs;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.cert.PeerIdentity.Role;
import dev.portcullis.pki.join.JoinToken;
import dev.portcullis.pki.store.CredentialStore;
import dev.portcullis.pki.store.CredentialStore.StoredCredentials;
import dev.portcullis.pki.tls.KeyMaterial;
import dev.portcullis.protocol.v1.ComponentConfig;
import dev.portcullis.protocol.v1.ComponentKind;
import dev.portcullis.protocol.v1.ComponentMessage.BodyCase;
import dev.portcullis.protocol.v1.ConfigAck;
import dev.portcullis.protocol.v1.CoreMessage;
import dev.portcullis.protocol.v1.GatewaySettings;
import dev.portcullis.protocol.v1.Hello;
import dev.portcullis.protocol.v1.JoinProof;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Setup mode and the switch to mutual TLS: what a component does before and while core adopts it. */
class AdoptionTest {

    @TempDir
    Path dir;

    private final FakeCore core = new FakeCore();
    private final RecordingHandler handler = new RecordingHandler();
    private final LogCapture logs = new LogCapture();
    private final List<ComponentLink> links = new ArrayList<>();

    @AfterEach
    void closeEverything() {
        core.close();
        links.forEach(ComponentLink::close);
        logs.close();
    }

    private Path credentials() {
        return dir.resolve("credentials");
    }

    private ComponentLink startInSetup(Role role, JoinToken token) throws IOException {
        ComponentLink link = TestLinks.startInSetup(role, credentials(), token, handler);
        links.add(link);
        return link;
    }

    @Test
    void adoptionWithAGoodTokenSwitchesTheSamePortToMutualTls() throws Exception {
        String id = TestLinks.newComponentId();
        PeerIdentity identity = PeerIdentity.component(Role.GATEWAY, id);
        JoinToken token = core.mintToken(id);
        ComponentLink link = startInSetup(Role.GATEWAY, token);
        int port = link.port();
        assertThat(link.state()).isEqualTo(LinkState.SETUP);
        assertThat(link.componentId()).isEqualTo(id);
        assertThat(link.certificate()).isEmpty();

        FakeCore.RecordingTrust setupTls = FakeCore.RecordingTrust.acceptingAnything();
        ManagedChannel setup = core.dialSetup(port, core.coreKey, setupTls);
        JoinProof proof = core.join(setup, id, ComponentKind.COMPONENT_KIND_GATEWAY);

        assertThat(proof.getTokenId()).isEqualTo(token.tokenId());
        assertThat(proof.getTokenSecret().toByteArray()).isEqualTo(token.secret());
        CertificateRequest request = CertificateRequest.parse(proof.getCsrDer().toByteArray());
        X509Certificate selfSigned = setupTls.serverCertificate();
        assertThat(request.publicKey().getEncoded()).isEqualTo(selfSigned.getPublicKey().getEncoded());
        assertThat(Certificates.identity(selfSigned)).as("the setup certificate claims no identity").isEmpty();

        X509Certificate issued = core.issue(request, identity);
        core.complete(setup, issued, core.ca.certificate());
        awaitTrue(() -> link.state() == LinkState.WAITING_FOR_CORE, "link switched to mTLS");

        assertThat(link.port()).isEqualTo(port);
        assertThat(link.certificate()).contains(issued);
        StoredCredentials stored = new CredentialStore(credentials()).load().orElseThrow();
        assertThat(stored.keyMaterial().leaf()).isEqualTo(issued);
        assertThat(stored.ca()).isEqualTo(core.ca.certificate());
        assertThat(Files.getPosixFilePermissions(credentials().resolve("key.pem")))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));

        FakeCore.RecordingTrust[] adoptedTls = new FakeCore.RecordingTrust[1];
        FakeCore.Session session = core.openControl(core.dialAdopted(port, core.coreKey, identity, adoptedTls));
        Hello hello = session.expect(BodyCase.HELLO).getHello();
        assertThat(hello.getKind()).isEqualTo(ComponentKind.COMPONENT_KIND_GATEWAY);
        assertThat(hello.getComponentId()).isEqualTo(id);
        assertThat(hello.getConfigVersion()).isZero();
        assertThat(hello.getSoftwareVersion()).isEqualTo(TestLinks.SOFTWARE_VERSION);
        assertThat(adoptedTls[0].serverCertificate()).isEqualTo(issued);
        awaitTrue(() -> link.state() == LinkState.CONNECTED, "link reports core connected");

        session.send(CoreMessage.newBuilder().setConfig(ComponentConfig.newBuilder().setVersion(3)
                .setGateway(GatewaySettings.newBuilder().setLocation("office"))).build());
        ConfigAck ack = session.expect(BodyCase.ACK).getAck();
        assertThat(ack.getVersion()).isEqualTo(3);
        assertThat(ack.getResyncNeeded()).isFalse();
        assertThat(ack.getError()).isEmpty();
        assertThat(handler.configs).singleElement()
                .satisfies(config -> assertThat(config.getGateway().getLocation()).isEqualTo("office"));
        assertThat(link.configVersion()).isEqualTo(3);
    }

    @Test
    void restartFromStoredCredentialsComesUpAdoptedWithoutAToken() throws Exception {
        String id = TestLinks.newComponentId();
        ComponentLink first = startInSetup(Role.EDGE_PROXY, core.mintToken(id));
        X509Certificate issued = core.adopt(first, Role.EDGE_PROXY);
        first.close();

        ComponentLink restarted = ComponentLink.start(TestLinks.settings(Role.EDGE_PROXY, credentials(), Optional.empty()),
                handler);
        links.add(restarted);

        assertThat(restarted.state()).isEqualTo(LinkState.WAITING_FOR_CORE);
        assertThat(restarted.componentId()).isEqualTo(id);
        assertThat(restarted.certificate()).contains(issued);
        FakeCore.Session session = core.openControl(
                core.dialAdopted(restarted.port(), PeerIdentity.component(Role.EDGE_PROXY, id)));
        Hello hello = session.expect(BodyCase.HELLO).getHello();
        assertThat(hello.getComponentId()).isEqualTo(id);
        assertThat(hello.getKind()).isEqualTo(ComponentKind.COMPONENT_KIND_EDGE_PROXY);
    }

    @Test
    void startWithoutCredentialsOrTokenTellsTheOperatorToAdoptIt() {
        assertThatThrownBy(() -> ComponentLink.start(
                TestLinks.settings(Role.EDGE_PROXY, credentials(), Optional.empty()), handler))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("this edge-proxy has not been adopted")
                .hasMessageContaining("portcullis-admin component add");
    }

    @Test
    void joinForAnotherComponentIdIsRefused() throws Exception {
        String id = TestLinks.newComponentId();
        ComponentLink link = startInSetup(Role.GATEWAY, core.mintToken(id));
        ManagedChannel setup = core.dialSetup(link.port(), core.coreKey);

        assertThatThrownBy(() -> core.join(setup, TestLinks.newComponentId(), ComponentKind.COMPONENT_KIND_GATEWAY))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));

        assertThat(logs.warnings()).anySatisfy(line -> assertThat(line).contains("refused core's join challenge"));
        assertThat(link.state()).isEqualTo(LinkState.SETUP);
        assertThat(core.join(setup, id, ComponentKind.COMPONENT_KIND_GATEWAY).getTokenId()).isNotEmpty();
    }

    @Test
    void joinForAnotherKindOfComponentIsRefused() throws Exception {
        String id = TestLinks.newComponentId();
        ComponentLink link = startInSetup(Role.GATEWAY, core.mintToken(id));
        ManagedChannel setup = core.dialSetup(link.port(), core.coreKey);

        assertThatThrownBy(() -> core.join(setup, id, ComponentKind.COMPONENT_KIND_EDGE_PROXY))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
        assertThat(logs.warnings()).anySatisfy(line -> assertThat(line).contains("this component is a gateway"));
    }

    @Test
    void completeWithACertificateForAnotherKeyIsRefusedAndTheComponentStaysInSetup() throws Exception {
        String id = TestLinks.newComponentId();
        PeerIdentity identity = PeerIdentity.component(Role.GATEWAY, id);
        ComponentLink link = startInSetup(Role.GATEWAY, core.mintToken(id));
        ManagedChannel setup = core.dialSetup(link.port(), core.coreKey);
        JoinProof proof = core.join(setup, id, ComponentKind.COMPONENT_KIND_GATEWAY);

        X509Certificate forOtherKey = core.issue(CertificateRequest.create(KeyPairs.generate(), identity.uri()), identity);

        assertCompleteRefused(link, setup, forOtherKey, core.ca.certificate(), "not for the key this component generated");
        completesWithTheRightCertificate(link, setup, proof, identity);
    }

    @Test
    void completeWithACertificateForAnotherIdentityIsRefusedAndTheComponentStaysInSetup() throws Exception {
        String id = TestLinks.newComponentId();
        ComponentLink link = startInSetup(Role.GATEWAY, core.mintToken(id));
        ManagedChannel setup = core.dialSetup(link.port(), core.coreKey);
        JoinProof proof = core.join(setup, id, ComponentKind.COMPONENT_KIND_GATEWAY);
        CertificateRequest request = CertificateRequest.parse(proof.getCsrDer().toByteArray());

        X509Certificate otherComponent = core.issue(request, PeerIdentity.component(Role.GATEWAY, TestLinks.newComponentId()));
        X509Certificate otherRole = core.issue(request, PeerIdentity.component(Role.EDGE_PROXY, id));

        assertCompleteRefused(link, setup, otherComponent, core.ca.certificate(), "is not this component's");
        assertCompleteRefused(link, setup, otherRole, core.ca.certificate(), "is not this component's");
        completesWithTheRightCertificate(link, setup, proof, PeerIdentity.component(Role.GATEWAY, id));
    }

    @Test
    void completeWithACertificateFromAnotherCaIsRefusedAndTheComponentStaysInSetup() throws Exception {
        String id = TestLinks.newComponentId();
        PeerIdentity identity = PeerIdentity.component(Role.GATEWAY, id);
        ComponentLink link = startInSetup(Role.GATEWAY, core.mintToken(id));
        ManagedChannel setup = core.dialSetup(link.port(), core.coreKey);
        JoinProof proof = core.join(setup, id, ComponentKind.COMPONENT_KIND_GATEWAY);
        CertificateRequest request = CertificateRequest.parse(proof.getCsrDer().toByteArray());
        CertificateAuthority otherCa = CertificateAuthority.create("another CA", core.clock);

        X509Certificate fromOtherCa = otherCa.issueComponent(request, identity, List.of(), Duration.ofDays(1));

        assertCompleteRefused(link, setup, fromOtherCa, otherCa.certificate(), "is not the pinned");
        assertCompleteRefused(link, setup, fromOtherCa, core.ca.certificate(), "is not signed by the pinned Portcullis CA");
        completesWithTheRightCertificate(link, setup, proof, identity);
    }

    @Test
    void completeWithACertificateNotIssuedForServerUseIsRefused() throws Exception {
        ForgingAuthority forger = new ForgingAuthority();
        String id = TestLinks.newComponentId();
        PeerIdentity identity = PeerIdentity.component(Role.GATEWAY, id);
        ComponentLink link = startInSetup(Role.GATEWAY, JoinToken.mint(id, CaFingerprint.of(forger.certificate)));
        ManagedChannel setup = core.dialSetup(link.port(), forger.clientFor(PeerIdentity.core()));
        JoinProof proof = core.join(setup, id, ComponentKind.COMPONENT_KIND_GATEWAY);
        CertificateRequest request = CertificateRequest.parse(proof.getCsrDer().toByteArray());

        X509Certificate clientUse = forger.issue(request.publicKey(), identity, KeyPurposeId.id_kp_clientAuth);

        assertCompleteRefused(link, setup, clientUse, forger.certificate, "is not issued for TLS server use");
    }

    @Test
    void adoptionLogsNeitherTheTokenSecretNorKeyMaterial() throws Exception {
        String id = TestLinks.newComponentId();
        JoinToken token = core.mintToken(id);
        ComponentLink link = startInSetup(Role.GATEWAY, token);
        core.adopt(link, Role.GATEWAY);
        KeyMaterial stored = new CredentialStore(credentials()).load().orElseThrow().keyMaterial();

        List<String> secrets = List.of(Base64.getUrlEncoder().withoutPadding().encodeToString(token.secret()),
                Base64.getEncoder().withoutPadding().encodeToString(token.secret()),
                HexFormat.of().formatHex(token.secret()),
                Base64.getEncoder().encodeToString(stored.privateKey().getEncoded()).substring(0, 40),
                "PRIVATE KEY");
        List<String> visible = new ArrayList<>(logs.everything());
        visible.add(link.toString());
        visible.add(TestLinks.settings(Role.GATEWAY, credentials(), Optional.of(token)).toString());
        for (String secret : secrets) {
            assertThat(visible).noneSatisfy(line -> assertThat(line).contains(secret));
        }
    }

    private void assertCompleteRefused(ComponentLink link, ManagedChannel setup, X509Certificate certificate,
                                       X509Certificate ca, String reason) {
        assertThatThrownBy(() -> core.complete(setup, certificate, ca))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).contains(reason);
                });
        assertThat(logs.warnings()).anySatisfy(line -> assertThat(line)
                .contains("refused the certificate core offered").contains(reason));
        assertThat(link.state()).isEqualTo(LinkState.SETUP);
        assertThat(new CredentialStore(credentials()).load()).isEmpty();
    }

    /** After refusals the component is still waiting, with the same key, for the right certificate. */
    private void completesWithTheRightCertificate(ComponentLink link, ManagedChannel setup, JoinProof proof,
                                                  PeerIdentity identity) throws Exception {
        X509Certificate right = core.issue(CertificateRequest.parse(proof.getCsrDer().toByteArray()), identity);
        core.complete(setup, right, core.ca.certificate());
        awaitTrue(() -> link.state() == LinkState.WAITING_FOR_CORE, "link switched to mTLS");
        assertThat(link.certificate()).contains(right);
    }
}
