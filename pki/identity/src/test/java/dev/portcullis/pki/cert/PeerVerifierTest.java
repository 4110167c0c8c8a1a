package dev.portcullis.pki.cert;

import static dev.portcullis.pki.cert.TestCa.CLIENT_AUTH;
import static dev.portcullis.pki.cert.TestCa.NOW;
import static dev.portcullis.pki.cert.TestCa.SERVER_AUTH;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.pki.cert.PeerIdentity.Role;
import dev.portcullis.pki.cert.PeerVerifier.PeerRejectedException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class PeerVerifierTest {

    private static final PeerIdentity GATEWAY = PeerIdentity.component(Role.GATEWAY, "0b5c6f3e-9a1d-4c2b-8e7f-1a2b3c4d5e6f");
    private static final PeerIdentity OTHER_GATEWAY =
            PeerIdentity.component(Role.GATEWAY, "11111111-2222-4333-8444-555555555555");

    private final TestCa ca = TestCa.create("Portcullis CA");
    private final PeerVerifier verifier = new PeerVerifier(ca.certificate(), at(NOW));

    private static Clock at(Instant instant) {
        return Clock.fixed(instant, ZoneOffset.UTC);
    }

    @Test
    void aServerChainFromThePinnedCaIsAcceptedWithItsIdentity() throws Exception {
        assertThat(verifier.verifyServer(ca.server(GATEWAY).chain())).isEqualTo(GATEWAY);
    }

    @Test
    void aClientChainFromThePinnedCaIsAcceptedWithItsIdentity() throws Exception {
        assertThat(verifier.verifyClient(ca.client(PeerIdentity.core()).chain())).isEqualTo(PeerIdentity.core());
    }

    @Test
    void aLeafPresentedWithoutTheCaIsAcceptedBecauseTheCaIsPinned() throws Exception {
        X509Certificate[] leafOnly = {ca.server(GATEWAY).certificate()};

        assertThat(verifier.verifyServer(leafOnly)).isEqualTo(GATEWAY);
    }

    @Test
    void aCertificateFromAnotherCaWithTheSameNameIsRejected() {
        TestCa forger = TestCa.create("Portcullis CA");

        assertThatThrownBy(() -> verifier.verifyServer(forger.server(GATEWAY).chain()))
                .isInstanceOf(PeerRejectedException.class)
                .hasMessageContaining("not signed by the pinned Portcullis CA");
    }

    @Test
    void aCertificateFromAnotherCaPresentedWithThePinnedCaInItsChainIsRejected() {
        TestCa forger = TestCa.create("Forger");
        X509Certificate[] chain = {forger.client(PeerIdentity.core()).certificate(), ca.certificate()};

        assertThatThrownBy(() -> verifier.verifyClient(chain))
                .isInstanceOf(PeerRejectedException.class)
                .hasMessageContaining("not signed by the pinned Portcullis CA");
    }

    @Test
    void aSelfSignedSetupCertificateIsRejected() {
        X509Certificate setup = SetupCertificate.create(KeyPairs.generate(), "awaiting adoption", at(NOW));

        assertThatThrownBy(() -> verifier.verifyServer(new X509Certificate[] {setup}))
                .isInstanceOf(PeerRejectedException.class)
                .hasMessageContaining("not signed by the pinned Portcullis CA");
    }

    @Test
    void anExpiredCertificateIsRejected() {
        X509Certificate[] chain = ca.server(GATEWAY).chain();
        Instant notAfter = chain[0].getNotAfter().toInstant();

        assertThatThrownBy(() -> new PeerVerifier(ca.certificate(), at(notAfter.plusSeconds(1))).verifyServer(chain))
                .isInstanceOf(PeerRejectedException.class)
                .hasMessageContaining("has expired");
    }

    @Test
    void aCertificateIsAcceptedUpToItsLastValidSecond() throws Exception {
        X509Certificate[] chain = ca.server(GATEWAY).chain();
        Instant notAfter = chain[0].getNotAfter().toInstant();

        assertThat(new PeerVerifier(ca.certificate(), at(notAfter)).verifyServer(chain)).isEqualTo(GATEWAY);
    }

    @Test
    void aNotYetValidCertificateIsRejected() {
        X509Certificate[] chain = ca.leaf().uri(GATEWAY.uri()).extendedKeyUsage(SERVER_AUTH)
                .validity(NOW.plus(Duration.ofHours(1)), NOW.plus(Duration.ofDays(7))).issue().chain();

        assertThatThrownBy(() -> verifier.verifyServer(chain))
                .isInstanceOf(PeerRejectedException.class)
                .hasMessageContaining("is not yet valid");
    }

    @Test
    void aServerCertificateCannotBeUsedAsAClientCertificate() {
        assertThatThrownBy(() -> verifier.verifyClient(ca.server(GATEWAY).chain()))
                .isInstanceOf(PeerRejectedException.class)
                .hasMessageContaining("is not issued for TLS client use");
    }

    @Test
    void aClientCertificateCannotBeUsedAsAServerCertificate() {
        assertThatThrownBy(() -> verifier.verifyServer(ca.client(PeerIdentity.core()).chain()))
                .isInstanceOf(PeerRejectedException.class)
                .hasMessageContaining("is not issued for TLS server use");
    }

    @Test
    void aCertificateWithoutExtendedKeyUsageIsRejectedOnBothSides() {
        X509Certificate[] chain = ca.leaf().uri(GATEWAY.uri()).issue().chain();

        assertThatThrownBy(() -> verifier.verifyServer(chain)).isInstanceOf(PeerRejectedException.class)
                .hasMessageContaining("is not issued for TLS server use");
        assertThatThrownBy(() -> verifier.verifyClient(chain)).isInstanceOf(PeerRejectedException.class)
                .hasMessageContaining("is not issued for TLS client use");
    }

    @Test
    void aCertificateWithoutAPortcullisUriIsRejected() {
        X509Certificate[] chain = ca.leaf().extendedKeyUsage(SERVER_AUTH)
                .uri("spiffe://portcullis/gateway").dns("gateway.example.net").issue().chain();

        assertThatThrownBy(() -> verifier.verifyServer(chain))
                .isInstanceOf(PeerRejectedException.class)
                .hasMessageContaining("carries no Portcullis identity");
    }

    @Test
    void aCertificateWithNoSubjectAlternativeNamesIsRejected() {
        X509Certificate[] chain = ca.leaf().extendedKeyUsage(CLIENT_AUTH).issue().chain();

        assertThatThrownBy(() -> verifier.verifyClient(chain))
                .isInstanceOf(PeerRejectedException.class)
                .hasMessageContaining("carries no Portcullis identity");
    }

    @Test
    void aCertificateWithTwoPortcullisIdentitiesIsRejected() {
        X509Certificate[] chain = ca.leaf().extendedKeyUsage(SERVER_AUTH)
                .uri(GATEWAY.uri()).uri(OTHER_GATEWAY.uri()).issue().chain();

        assertThatThrownBy(() -> verifier.verifyServer(chain))
                .isInstanceOf(PeerRejectedException.class)
                .hasMessageContaining("carries no Portcullis identity");
    }

    @Test
    void aPortcullisIdentityBesideForeignUrisIsTheIdentity() throws Exception {
        X509Certificate[] chain = ca.leaf().extendedKeyUsage(SERVER_AUTH)
                .uri("https://gateway.example.net/").uri(GATEWAY.uri()).issue().chain();

        assertThat(verifier.verifyServer(chain)).isEqualTo(GATEWAY);
    }

    @Test
    void anEmptyOrMissingChainIsRejected() {
        assertThatThrownBy(() -> verifier.verifyClient(new X509Certificate[0]))
                .isInstanceOf(PeerRejectedException.class).hasMessage("no client certificate presented");
        assertThatThrownBy(() -> verifier.verifyServer(null))
                .isInstanceOf(PeerRejectedException.class).hasMessage("no server certificate presented");
    }

    @Test
    void aChainLongerThanThreeIsRejectedEvenIfItsLeafIsGood() throws Exception {
        X509Certificate leaf = ca.server(GATEWAY).certificate();
        X509Certificate root = ca.certificate();

        assertThat(verifier.verifyServer(new X509Certificate[] {leaf, root, root})).isEqualTo(GATEWAY);
        assertThatThrownBy(() -> verifier.verifyServer(new X509Certificate[] {leaf, root, root, root}))
                .isInstanceOf(PeerRejectedException.class)
                .hasMessageContaining("longer than 3");
    }
}
