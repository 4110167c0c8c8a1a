package dev.portcullis.core.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.core.error.StartupRefusedException;
import dev.portcullis.core.store.Database;
import dev.portcullis.core.store.TestPostgres;
import dev.portcullis.pki.authority.CertificateAuthority;
import dev.portcullis.pki.authority.MasterKey;
import dev.portcullis.pki.authority.Sealer;
import dev.portcullis.pki.cert.CaFingerprint;
import dev.portcullis.pki.cert.CertificateRequest;
import dev.portcullis.pki.cert.KeyPairs;
import dev.portcullis.pki.cert.PeerIdentity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CaBootstrapTest {

    /** Must match CertificateAuthority's private purpose string; the test proves the row is that sealed key. */
    private static final String CA_SEAL_PURPOSE = "portcullis/ca-key/v1";

    @TempDir
    Path home;
    private TestPostgres.Connection connection;
    private Database database;
    private MasterKeyFile keyFile;

    @BeforeEach
    void setUp() {
        connection = TestPostgres.freshDatabase();
        database = connection.open();
        keyFile = new MasterKeyFile(home.resolve("master.key"));
    }

    @AfterEach
    void tearDown() {
        database.close();
    }

    @Test
    void firstStartCreatesAnOwnerOnlyMasterKeyOf32Bytes() throws Exception {
        CaBootstrap.loadOrCreate(database, keyFile, Clock.systemUTC());

        assertThat(Files.size(keyFile.path())).isEqualTo(32);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile.path()))).isEqualTo("rw-------");
    }

    @Test
    void caSurvivesRestartWithTheSameFingerprintAndKey() throws Exception {
        CertificateAuthority first = CaBootstrap.loadOrCreate(database, keyFile, Clock.systemUTC());
        database.close();

        database = connection.open();
        CertificateAuthority restarted = CaBootstrap.loadOrCreate(database, keyFile, Clock.systemUTC());

        assertThat(CaFingerprint.of(restarted.certificate())).isEqualTo(CaFingerprint.of(first.certificate()));
        X509Certificate issued = restarted.issueComponent(CertificateRequest.create(KeyPairs.generate(), "c"),
                PeerIdentity.component(PeerIdentity.Role.GATEWAY, UUID.randomUUID().toString()), List.of(), Duration.ofHours(1));
        issued.verify(first.certificate().getPublicKey());
    }

    @Test
    void caKeyIsStoredOnlySealed() throws Exception {
        CertificateAuthority ca = CaBootstrap.loadOrCreate(database, keyFile, Clock.systemUTC());
        byte[] row = database.inTransaction(c -> {
            try (var rs = c.createStatement().executeQuery("SELECT sealed_key FROM ca")) {
                rs.next();
                return rs.getBytes(1);
            }
        });

        byte[] pkcs8 = new Sealer(keyFile.read()).open(CA_SEAL_PURPOSE, row);
        assertThat(indexOf(row, pkcs8)).as("plaintext key in the row").isEqualTo(-1);
        assertThatThrownBy(() -> KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(row)))
                .as("the row is not a PKCS#8 key").isInstanceOf(Exception.class);
        // The sealed bytes are the CA's key: what they sign verifies with the CA certificate.
        Signature signer = Signature.getInstance(KeyPairs.SIGNATURE_ALGORITHM);
        signer.initSign(KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(pkcs8)));
        signer.update(new byte[] {1, 2, 3});
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance(KeyPairs.SIGNATURE_ALGORITHM);
        verifier.initVerify(ca.certificate().getPublicKey());
        verifier.update(new byte[] {1, 2, 3});
        assertThat(verifier.verify(signature)).isTrue();
    }

    @Test
    void wrongMasterKeyIsRefusedWithAClearMessage() throws Exception {
        CaBootstrap.loadOrCreate(database, keyFile, Clock.systemUTC());
        Files.delete(keyFile.path());
        dev.portcullis.core.secretfile.OwnerOnlyFile.write(keyFile.path(), MasterKey.generate().bytes());

        assertThatThrownBy(() -> CaBootstrap.loadOrCreate(database, keyFile, Clock.systemUTC()))
                .isInstanceOf(StartupRefusedException.class)
                .hasMessageContaining(keyFile.path().toString())
                .hasMessageContaining("does not open the CA")
                .hasMessageContaining("Restore the original master key file")
                .hasNoCause();
    }

    @Test
    void aCaRowWhoseKeyDoesNotBelongToItsCertificateIsRefusedWithAClearMessage() throws Exception {
        CaBootstrap.loadOrCreate(database, keyFile, Clock.systemUTC());
        CertificateAuthority other = CertificateAuthority.create("other", Clock.systemUTC());
        byte[] otherSealed = other.sealedKey(new Sealer(keyFile.read()));
        database.inTransaction(c -> {
            try (var update = c.prepareStatement("UPDATE ca SET sealed_key = ?")) {
                update.setBytes(1, otherSealed);
                return update.executeUpdate();
            }
        });

        assertThatThrownBy(() -> CaBootstrap.loadOrCreate(database, keyFile, Clock.systemUTC()))
                .isInstanceOf(StartupRefusedException.class)
                .hasMessageContaining("does not belong to the CA certificate")
                .hasNoCause();
    }

    @Test
    void masterKeyFileReadableByGroupOrOthersIsRefused() throws Exception {
        CaBootstrap.loadOrCreate(database, keyFile, Clock.systemUTC());
        Files.setPosixFilePermissions(keyFile.path(), PosixFilePermissions.fromString("rw-r-----"));

        assertThatThrownBy(() -> CaBootstrap.loadOrCreate(database, keyFile, Clock.systemUTC()))
                .isInstanceOf(StartupRefusedException.class)
                .hasMessageContaining("accessible to group or others")
                .hasMessageContaining("chmod 600 " + keyFile.path());

        Files.setPosixFilePermissions(keyFile.path(), PosixFilePermissions.fromString("rw----r--"));
        assertThatThrownBy(() -> CaBootstrap.loadOrCreate(database, keyFile, Clock.systemUTC()))
                .isInstanceOf(StartupRefusedException.class);
    }

    @Test
    void missingMasterKeyForAnExistingCaIsRefused() throws Exception {
        CaBootstrap.loadOrCreate(database, keyFile, Clock.systemUTC());
        Files.delete(keyFile.path());

        assertThatThrownBy(() -> CaBootstrap.loadOrCreate(database, keyFile, Clock.systemUTC()))
                .isInstanceOf(StartupRefusedException.class)
                .hasMessageContaining("does not exist");
        assertThat(keyFile.exists()).as("no new key is made up for an existing CA").isFalse();
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
