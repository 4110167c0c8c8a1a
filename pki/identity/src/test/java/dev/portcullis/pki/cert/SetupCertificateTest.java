package dev.portcullis.pki.cert;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class SetupCertificateTest {

    private static final Instant NOW = Instant.parse("2026-01-10T12:00:00Z");
    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);

    @Test
    void setupCertificateIsSelfSignedForTheGivenKey() throws Exception {
        KeyPair keyPair = KeyPairs.generate();

        X509Certificate certificate = SetupCertificate.create(keyPair, "portcullis gateway awaiting adoption", clock);

        certificate.verify(keyPair.getPublic());
        assertThat(certificate.getPublicKey()).isEqualTo(keyPair.getPublic());
        assertThat(certificate.getSubjectX500Principal()).isEqualTo(certificate.getIssuerX500Principal());
    }

    @Test
    void setupCertificateIsForTlsServerUseOnlyAndIsNotACa() throws Exception {
        X509Certificate certificate = SetupCertificate.create(KeyPairs.generate(), "setup", clock);

        assertThat(certificate.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
        assertThat(certificate.getBasicConstraints()).isEqualTo(-1);
    }

    @Test
    void setupCertificateCarriesNoPortcullisIdentity() {
        X509Certificate certificate = SetupCertificate.create(KeyPairs.generate(), "setup", clock);

        assertThat(Certificates.identity(certificate)).isEmpty();
    }

    @Test
    void setupCertificateIsValidNowAndExpiresAfterItsLifetime() throws Exception {
        X509Certificate certificate = SetupCertificate.create(KeyPairs.generate(), "setup", clock);

        certificate.checkValidity(java.util.Date.from(NOW));
        assertThat(certificate.getNotAfter().toInstant()).isEqualTo(NOW.plus(SetupCertificate.LIFETIME));
    }
}
