package dev.portcullis.pki.tls;

import static dev.portcullis.pki.cert.TestCa.NOW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.cert.PeerIdentity.Role;
import dev.portcullis.pki.cert.PeerVerifier.PeerRejectedException;
import dev.portcullis.pki.cert.TestCa;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PinnedTrustManagerTest {

    private static final PeerIdentity GATEWAY = PeerIdentity.component(Role.GATEWAY, "0b5c6f3e-9a1d-4c2b-8e7f-1a2b3c4d5e6f");
    private static final PeerIdentity EDGE = PeerIdentity.component(Role.EDGE_PROXY, "11111111-2222-4333-8444-555555555555");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    private final TestCa ca = TestCa.create("Portcullis CA");
    private final TestCa forger = TestCa.create("Portcullis CA");
    private final List<String> rejections = new ArrayList<>();

    private PinnedTrustManager pinning(PeerPolicy policy) {
        return PinnedTrustManager.pinning(ca.certificate(), policy, CLOCK, rejections::add);
    }

    private PinnedTrustManager pinningFingerprint(PeerPolicy policy) {
        return PinnedTrustManager.pinningFingerprint(ca.fingerprint(), policy, CLOCK, rejections::add);
    }

    /** The rejection was thrown as a CertificateException and reported exactly once, with the same reason. */
    private void assertRejected(ThrowingCheck check, String reason) {
        Throwable thrown = catchThrowable(check::run);

        assertThat(thrown).isInstanceOf(CertificateException.class).hasMessageContaining(reason);
        assertThat(rejections).containsExactly(thrown.getMessage());
    }

    @FunctionalInterface
    interface ThrowingCheck {
        void run() throws CertificateException;
    }

    @FunctionalInterface
    interface Direction {
        void check(PinnedTrustManager trust, X509Certificate[] chain) throws CertificateException;
    }

    static Stream<Arguments> serverChecks() {
        return Stream.of(
                Arguments.of("checkServerTrusted", (Direction) (t, c) -> t.checkServerTrusted(c, "ECDHE_ECDSA")),
                Arguments.of("checkServerTrusted(socket)", (Direction) (t, c) -> t.checkServerTrusted(c, "ECDHE_ECDSA", (Socket) null)),
                Arguments.of("checkServerTrusted(engine)", (Direction) (t, c) -> t.checkServerTrusted(c, "ECDHE_ECDSA", (SSLEngine) null)));
    }

    static Stream<Arguments> clientChecks() {
        return Stream.of(
                Arguments.of("checkClientTrusted", (Direction) (t, c) -> t.checkClientTrusted(c, "EC")),
                Arguments.of("checkClientTrusted(socket)", (Direction) (t, c) -> t.checkClientTrusted(c, "EC", (Socket) null)),
                Arguments.of("checkClientTrusted(engine)", (Direction) (t, c) -> t.checkClientTrusted(c, "EC", (SSLEngine) null)));
    }

    // --- pinned CA certificate (after adoption) ---

    @ParameterizedTest(name = "{0}")
    @MethodSource("serverChecks")
    void everyServerCheckAcceptsTheExpectedComponentAndRejectsAForgedOne(String name, Direction direction) throws Exception {
        PinnedTrustManager trust = pinning(PeerPolicy.only(GATEWAY));

        direction.check(trust, ca.server(GATEWAY).chain());
        assertThat(rejections).isEmpty();

        assertRejected(() -> direction.check(trust, forger.server(GATEWAY).chain()), "not signed by the pinned Portcullis CA");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("clientChecks")
    void everyClientCheckAcceptsCoreAndRejectsAServerCertificate(String name, Direction direction) throws Exception {
        PinnedTrustManager trust = pinning(PeerPolicy.only(PeerIdentity.core()));

        direction.check(trust, ca.client(PeerIdentity.core()).chain());
        assertThat(rejections).isEmpty();

        assertRejected(() -> direction.check(trust, ca.server(PeerIdentity.core()).chain()), "is not issued for TLS client use");
    }

    @Test
    void aValidCertificateForAnotherIdentityIsRejectedByThePolicy() {
        PinnedTrustManager trust = pinning(PeerPolicy.only(GATEWAY));

        assertRejected(() -> trust.checkServerTrusted(ca.server(EDGE).chain(), "ECDHE_ECDSA"),
                "certificate identity " + EDGE + " is not the expected " + GATEWAY);
    }

    @Test
    void aComposedPolicyNeedsBothPartsToPass() throws Exception {
        TestCa.Issued expected = ca.server(GATEWAY);
        PeerPolicy exactCertificate = (identity, leaf) -> {
            if (!leaf.equals(expected.certificate())) {
                throw new PeerRejectedException("not the certificate core issued");
            }
        };
        PinnedTrustManager trust = pinning(PeerPolicy.only(GATEWAY).and(exactCertificate));

        trust.checkServerTrusted(expected.chain(), "ECDHE_ECDSA");
        assertThat(rejections).isEmpty();

        assertRejected(() -> trust.checkServerTrusted(ca.server(GATEWAY).chain(), "ECDHE_ECDSA"),
                "not the certificate core issued");
    }

    @Test
    void aMissingChainIsRejectedAndReported() {
        PinnedTrustManager trust = pinning(PeerPolicy.only(PeerIdentity.core()));

        assertRejected(() -> trust.checkClientTrusted(new X509Certificate[0], "EC"), "no client certificate presented");
    }

    @Test
    void thePinnedCaIsTheOnlyAcceptedIssuer() {
        assertThat(pinning(PeerPolicy.only(GATEWAY)).getAcceptedIssuers()).containsExactly(ca.certificate());
    }

    // --- pinned fingerprint (setup mode: the join token carries only the CA's fingerprint) ---

    @Test
    void aChainEndingInTheFingerprintedCaIsAccepted() throws Exception {
        PinnedTrustManager trust = pinningFingerprint(PeerPolicy.only(PeerIdentity.core()));

        trust.checkClientTrusted(ca.client(PeerIdentity.core()).chain(), "EC");
        trust.checkClientTrusted(ca.client(PeerIdentity.core()).chain(), "EC", (Socket) null);
        trust.checkClientTrusted(ca.client(PeerIdentity.core()).chain(), "EC", (SSLEngine) null);

        assertThat(rejections).isEmpty();
    }

    @Test
    void aChainWithoutTheCaIsRejectedInFingerprintMode() {
        PinnedTrustManager trust = pinningFingerprint(PeerPolicy.only(PeerIdentity.core()));
        X509Certificate[] leafOnly = {ca.client(PeerIdentity.core()).certificate()};

        assertRejected(() -> trust.checkClientTrusted(leafOnly, "EC"), "did not present the CA certificate");
    }

    @Test
    void aNullChainIsRejectedInFingerprintMode() {
        PinnedTrustManager trust = pinningFingerprint(PeerPolicy.only(PeerIdentity.core()));

        assertRejected(() -> trust.checkClientTrusted(null, "EC"), "did not present the CA certificate");
    }

    @Test
    void aCaWithAnotherFingerprintIsRejectedEvenWithTheSameName() {
        PinnedTrustManager trust = pinningFingerprint(PeerPolicy.only(PeerIdentity.core()));

        assertRejected(() -> trust.checkClientTrusted(forger.client(PeerIdentity.core()).chain(), "EC"),
                "is not the pinned " + ca.fingerprint());
    }

    @Test
    void aLeafNotSignedByTheFingerprintedCaIsRejectedEvenIfTheChainEndsInIt() {
        PinnedTrustManager trust = pinningFingerprint(PeerPolicy.only(PeerIdentity.core()));
        X509Certificate[] chain = {forger.client(PeerIdentity.core()).certificate(), ca.certificate()};

        assertRejected(() -> trust.checkClientTrusted(chain, "EC"), "not signed by the pinned Portcullis CA");
    }

    @Test
    void aPinnedCertificateThatIsNotACaIsRejected() {
        TestCa notACa = TestCa.notACa("Portcullis CA");
        PinnedTrustManager trust = PinnedTrustManager.pinningFingerprint(notACa.fingerprint(),
                PeerPolicy.only(PeerIdentity.core()), CLOCK, rejections::add);

        assertRejected(() -> trust.checkClientTrusted(notACa.client(PeerIdentity.core()).chain(), "EC"), "is not a CA");
    }

    @Test
    void thePolicyStillAppliesInFingerprintMode() {
        PinnedTrustManager trust = pinningFingerprint(PeerPolicy.only(PeerIdentity.core()));

        assertRejected(() -> trust.checkServerTrusted(ca.server(GATEWAY).chain(), "ECDHE_ECDSA"), "is not the expected");
    }

    @Test
    void fingerprintModeNamesNoAcceptedIssuerBecauseItHasNoCertificateYet() {
        assertThat(pinningFingerprint(PeerPolicy.only(PeerIdentity.core())).getAcceptedIssuers()).isEmpty();
    }
}
