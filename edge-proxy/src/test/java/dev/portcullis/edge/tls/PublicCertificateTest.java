package dev.portcullis.edge.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.pki.store.CredentialStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PublicCertificateTest {

    @TempDir
    Path directory;

    @Test
    void anEphemeralCertificateCoversLoopbackAndTheListenAddressAndHasAnOpensslStyleFingerprint() throws Exception {
        PublicCertificate certificate = PublicCertificate.ephemeral(Set.of("192.0.2.10"), Clock.systemUTC());

        X509Certificate leaf = certificate.leaf();
        List<Object> names = leaf.getSubjectAlternativeNames().stream().<Object>map(name -> name.get(1)).toList();
        assertThat(names).contains("localhost", "127.0.0.1", "192.0.2.10");
        assertThat(leaf.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
        assertThat(certificate.isEphemeral()).isTrue();
        assertThat(certificate.sha256Fingerprint()).matches("([0-9A-F]{2}:){31}[0-9A-F]{2}");
        assertThat(certificate.toString()).doesNotContain("PRIVATE");
    }

    @Test
    void anOperatorsPemCertificateAndKeyAreLoaded() throws Exception {
        PublicCertificate source = PublicCertificate.ephemeral(Set.of(), Clock.systemUTC());
        Path cert = write("cert.pem", CredentialStore.pem(source.leaf()));
        Path key = write("key.pem", pkcs8(source.keyMaterial().privateKey()));

        PublicCertificate loaded = PublicCertificate.load(cert, key, Clock.systemUTC());

        assertThat(loaded.leaf()).isEqualTo(source.leaf());
        assertThat(loaded.isEphemeral()).isFalse();
        assertThat(loaded.sha256Fingerprint()).isEqualTo(source.sha256Fingerprint());
    }

    @Test
    void aKeyThatDoesNotBelongToTheCertificateIsRefused() throws Exception {
        PublicCertificate one = PublicCertificate.ephemeral(Set.of(), Clock.systemUTC());
        PublicCertificate other = PublicCertificate.ephemeral(Set.of(), Clock.systemUTC());
        Path cert = write("cert.pem", CredentialStore.pem(one.leaf()));
        Path key = write("key.pem", pkcs8(other.keyMaterial().privateKey()));

        assertThatThrownBy(() -> PublicCertificate.load(cert, key, Clock.systemUTC()))
                .hasMessageContaining("does not belong to the certificate");
    }

    @Test
    void anExpiredCertificateIsRefused() throws Exception {
        PublicCertificate source = PublicCertificate.ephemeral(Set.of(), Clock.systemUTC());
        Path cert = write("cert.pem", CredentialStore.pem(source.leaf()));
        Path key = write("key.pem", pkcs8(source.keyMaterial().privateKey()));
        Clock later = Clock.fixed(Instant.now().plus(PublicCertificate.EPHEMERAL_LIFETIME).plus(Duration.ofDays(1)), ZoneOffset.UTC);

        assertThatThrownBy(() -> PublicCertificate.load(cert, key, later)).hasMessageContaining("expired");
    }

    @Test
    void missingOrGarbageFilesAreNamedInTheError() throws Exception {
        Path garbage = write("garbage.pem", "not a pem");
        Path missing = directory.resolve("missing.pem");

        assertThatThrownBy(() -> PublicCertificate.load(missing, garbage, Clock.systemUTC()))
                .hasMessageContaining("missing.pem").hasMessageContaining("does not exist");
        PublicCertificate source = PublicCertificate.ephemeral(Set.of(), Clock.systemUTC());
        Path cert = write("cert.pem", CredentialStore.pem(source.leaf()));
        assertThatThrownBy(() -> PublicCertificate.load(cert, garbage, Clock.systemUTC()))
                .hasMessageContaining("garbage.pem").hasMessageContaining("private key");
        assertThatThrownBy(() -> PublicCertificate.load(garbage, garbage, Clock.systemUTC()))
                .hasMessageContaining("holds no PEM certificate");
    }

    @Test
    void theChainInACertificateFileIsKeptInOrder() throws Exception {
        PublicCertificate leaf = PublicCertificate.ephemeral(Set.of(), Clock.systemUTC());
        PublicCertificate extra = PublicCertificate.ephemeral(Set.of(), Clock.systemUTC());
        Path cert = write("chain.pem", CredentialStore.pem(leaf.leaf()) + CredentialStore.pem(extra.leaf()));
        Path key = write("key.pem", pkcs8(leaf.keyMaterial().privateKey()));

        assertThat(List.of(PublicCertificate.load(cert, key, Clock.systemUTC()).keyMaterial().chain()))
                .containsExactly(leaf.leaf(), extra.leaf());
    }

    /** PKCS#8, as {@code openssl genpkey} writes it. */
    private static String pkcs8(PrivateKey key) {
        return "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
    }

    private Path write(String name, String content) throws Exception {
        return Files.writeString(directory.resolve(name), content);
    }
}
