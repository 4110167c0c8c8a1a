package dev.portcullis.pki.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.pki.cert.KeyPairs;
import dev.portcullis.pki.cert.SetupCertificate;
import dev.portcullis.pki.tls.KeyMaterial;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CredentialStoreTest {

    @TempDir
    Path temp;

    @Test
    void aSavedJdkGeneratedKeyLoadsBackSoAnAdoptedComponentCanRestart() {
        KeyPair keyPair = KeyPairs.generate();
        X509Certificate certificate = SetupCertificate.create(keyPair, "test", Clock.systemUTC());
        CredentialStore store = new CredentialStore(temp.resolve("state"));

        store.save(new KeyMaterial(keyPair.getPrivate(), certificate), certificate);
        KeyMaterial loaded = store.load().orElseThrow().keyMaterial();

        assertThat(loaded.privateKey().getEncoded()).isEqualTo(keyPair.getPrivate().getEncoded());
        assertThat(loaded.leaf()).isEqualTo(certificate);
    }

    @Test
    void theKeyFileIsOwnerOnlyAndWipeRemovesEverything() throws Exception {
        KeyPair keyPair = KeyPairs.generate();
        X509Certificate certificate = SetupCertificate.create(keyPair, "test", Clock.systemUTC());
        CredentialStore store = new CredentialStore(temp.resolve("state"));
        store.save(new KeyMaterial(keyPair.getPrivate(), certificate), certificate);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(temp.resolve("state/key.pem"))))
                .isEqualTo("rw-------");
        assertThat(Files.readString(temp.resolve("state/key.pem"))).startsWith("-----BEGIN PRIVATE KEY-----");

        store.wipe();
        assertThat(store.load()).isEmpty();
        assertThat(temp.resolve("state/key.pem")).doesNotExist();
    }
}
