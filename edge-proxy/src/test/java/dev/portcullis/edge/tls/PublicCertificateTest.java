package dev.portcullis.edge.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.pki.store.CredentialStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
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
        assertThat(certificate.isSelfSigned()).isTrue();
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
        assertThat(loaded.isSelfSigned()).isFalse();
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
        Clock later = Clock.fixed(Instant.now().plus(PublicCertificate.SELF_SIGNED_LIFETIME).plus(Duration.ofDays(1)), ZoneOffset.UTC);

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

    @Test
    void aSelfSignedCertificateIsStoredOwnerOnlyAndReusedSoThePinSurvivesARestart() throws Exception {
        Path state = directory.resolve("state");

        PublicCertificate first = PublicCertificate.selfSigned(state, Set.of("192.0.2.10"), Clock.systemUTC());
        PublicCertificate second = PublicCertificate.selfSigned(state, Set.of("192.0.2.10"), Clock.systemUTC());

        assertThat(second.leaf()).isEqualTo(first.leaf());
        assertThat(second.trustAnchorPin()).isEqualTo(first.trustAnchorPin());
        assertThat(second.keyMaterial().privateKey().getEncoded()).isEqualTo(first.keyMaterial().privateKey().getEncoded());
        assertThat(second.isSelfSigned()).isTrue();
        try (var files = Files.list(state)) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactly(PublicCertificate.SELF_SIGNED_FILE);
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state.resolve(PublicCertificate.SELF_SIGNED_FILE))))
                .isEqualTo("rw-------");
    }

    @Test
    void aStoredCertificateNearItsEndIsReplaced() throws Exception {
        Path state = directory.resolve("state");
        Instant now = Instant.now();
        PublicCertificate first = PublicCertificate.selfSigned(state, Set.of(), Clock.fixed(now, ZoneOffset.UTC));
        Clock stillFine = Clock.fixed(now.plus(PublicCertificate.SELF_SIGNED_LIFETIME).minus(PublicCertificate.SELF_SIGNED_RENEW_BEFORE)
                .minus(Duration.ofDays(1)), ZoneOffset.UTC);
        Clock tooLate = Clock.fixed(now.plus(PublicCertificate.SELF_SIGNED_LIFETIME).minus(Duration.ofDays(29)), ZoneOffset.UTC);

        assertThat(PublicCertificate.selfSigned(state, Set.of(), stillFine).leaf()).isEqualTo(first.leaf());
        PublicCertificate renewed = PublicCertificate.selfSigned(state, Set.of(), tooLate);

        assertThat(renewed.leaf()).isNotEqualTo(first.leaf());
        assertThat(PublicCertificate.selfSigned(state, Set.of(), tooLate).leaf()).as("the new one is stored").isEqualTo(renewed.leaf());
    }

    @Test
    void aStoredCertificateIsReplacedOnlyWhenItDoesNotCoverTheListenAddress() throws Exception {
        Path state = directory.resolve("state");
        PublicCertificate wide = PublicCertificate.selfSigned(state, Set.of("192.0.2.10"), Clock.systemUTC());

        assertThat(PublicCertificate.selfSigned(state, Set.of(), Clock.systemUTC()).leaf()).as("fewer names: still covered")
                .isEqualTo(wide.leaf());
        assertThat(PublicCertificate.selfSigned(state, Set.of("0:0:0:0:0:0:0:1"), Clock.systemUTC()).leaf())
                .as("the same address written differently").isEqualTo(wide.leaf());
        PublicCertificate other = PublicCertificate.selfSigned(state, Set.of("198.51.100.7"), Clock.systemUTC());

        assertThat(other.leaf()).isNotEqualTo(wide.leaf());
        assertThat(other.leaf().getSubjectAlternativeNames().stream().<Object>map(name -> name.get(1))).contains("198.51.100.7");
    }

    @Test
    void aDamagedStoredFileIsRefusedRatherThanSilentlyReplaced() throws Exception {
        Path state = directory.resolve("state");
        PublicCertificate stored = PublicCertificate.selfSigned(state, Set.of(), Clock.systemUTC());
        PublicCertificate stranger = PublicCertificate.ephemeral(Set.of(), Clock.systemUTC());
        Path file = state.resolve(PublicCertificate.SELF_SIGNED_FILE);

        Files.writeString(file, pkcs8(stranger.keyMaterial().privateKey()) + CredentialStore.pem(stored.leaf()));
        assertThatThrownBy(() -> PublicCertificate.selfSigned(state, Set.of(), Clock.systemUTC()))
                .hasMessageContaining("does not belong").hasMessageContaining("remove it");
        Files.writeString(file, "garbage");
        assertThatThrownBy(() -> PublicCertificate.selfSigned(state, Set.of(), Clock.systemUTC()))
                .hasMessageContaining(PublicCertificate.SELF_SIGNED_FILE).hasMessageContaining("remove it");
        assertThat(Files.readString(file)).isEqualTo("garbage");
    }

    @Test
    void thePinOfAnOperatorsChainIsTheHashOfItsTopmostCertificate() throws Exception {
        PublicCertificate leaf = PublicCertificate.ephemeral(Set.of(), Clock.systemUTC());
        PublicCertificate top = PublicCertificate.ephemeral(Set.of(), Clock.systemUTC());
        Path cert = write("chain.pem", CredentialStore.pem(leaf.leaf()) + CredentialStore.pem(top.leaf()));
        Path key = write("key.pem", pkcs8(leaf.keyMaterial().privateKey()));

        PublicCertificate loaded = PublicCertificate.load(cert, key, Clock.systemUTC());

        byte[] expected = MessageDigest.getInstance("SHA-256").digest(top.leaf().getEncoded());
        assertThat(loaded.trustAnchorPin()).isEqualTo(expected);
        assertThat(loaded.trustAnchorPinText()).isEqualTo(Base64.getUrlEncoder().withoutPadding().encodeToString(expected)).hasSize(43);
        assertThat(leaf.trustAnchorPin()).as("self-signed: the certificate itself")
                .isEqualTo(MessageDigest.getInstance("SHA-256").digest(leaf.leaf().getEncoded()));
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
