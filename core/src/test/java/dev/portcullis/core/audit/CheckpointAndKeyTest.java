package dev.portcullis.core.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.core.audit.AuditVerification.Problem;
import dev.portcullis.core.error.StartupRefusedException;
import dev.portcullis.core.link.Eventually;
import dev.portcullis.pki.authority.MasterKey;
import dev.portcullis.pki.authority.Sealer;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CheckpointAndKeyTest {

    private final AuditFixture audit = new AuditFixture();

    @AfterEach
    void close() {
        audit.close();
    }

    @Test
    void aCheckpointVerifiesWithTheExportedPemPublicKeyAlone() {
        audit.appendVaried(10, 0, new Random(1));
        AuditCheckpoint checkpoint = audit.checkpointer.latest().orElseThrow();
        String pem = audit.key.publicKey().pem();

        AuditPublicKey auditorsCopy = AuditPublicKey.fromPem(pem);

        assertThat(pem).startsWith("-----BEGIN PUBLIC KEY-----\n").endsWith("-----END PUBLIC KEY-----\n");
        assertThat(auditorsCopy.keyId()).isEqualTo(audit.key.keyId()).matches("[0-9a-f]{16}");
        assertThat(checkpoint.verifiedBy(auditorsCopy)).isTrue();
        assertThat(checkpoint.seq()).isEqualTo(10);
        assertThat(checkpoint.hash()).isEqualTo(audit.log.head().hash());
        assertThat(checkpoint.signature()).hasSize(AuditCheckpoint.SIGNATURE_BYTES);
        // the signed bytes are the documented ones, checked with the JDK's own Ed25519
        assertThat(auditorsCopy.verify(AuditCheckpoint.signedMessage(checkpoint.seq(), checkpoint.hash(),
                checkpoint.signedAt(), checkpoint.keyId()), checkpoint.signature())).isTrue();
    }

    @Test
    void aTamperedStoredCheckpointIsDetected() {
        audit.appendVaried(30, 10, new Random(2));
        assertThat(audit.verifyDatabase().intact()).isTrue();

        audit.sql("UPDATE audit_checkpoints SET signed_at = signed_at - interval '1 hour' WHERE seq = 20");

        AuditVerification result = audit.verifyDatabase();
        assertThat(result.failure()).get().extracting(AuditVerification.Failure::problem).isEqualTo(Problem.BAD_SIGNATURE);
        assertThat(result.failure().get().seq()).isEqualTo(20);
    }

    @Test
    void aCheckpointMovedOntoAnotherRecordIsDetected() {
        audit.appendVaried(30, 10, new Random(3));

        audit.sql("UPDATE audit_checkpoints SET seq = 15 WHERE seq = 10");

        AuditVerification result = audit.verifyDatabase();
        assertThat(result.failure()).get().extracting(AuditVerification.Failure::problem).isEqualTo(Problem.BAD_SIGNATURE);
        assertThat(result.failure().get().seq()).isEqualTo(15);
    }

    @Test
    void signingTheSameHeadTwiceReturnsTheExistingCheckpointAndAnEmptyLogHasNone() {
        assertThat(audit.checkpointer.checkpointNow()).isEmpty();

        audit.log.append(AuditEvent.of("core", "core.started", "core-1", AuditEvent.Outcome.SUCCESS));
        AuditCheckpoint first = audit.checkpointer.checkpointNow().orElseThrow();

        assertThat(audit.checkpointer.checkpointNow()).contains(first);
        assertThat(audit.count("audit_checkpoints")).isEqualTo(1);
    }

    @Test
    void theHeadIsSignedAtTheConfiguredIntervalWithoutBeingAsked() {
        audit.log.append(AuditEvent.of("core", "core.started", "core-1", AuditEvent.Outcome.SUCCESS));

        audit.checkpointer.start(AuditCheckpointer.MIN_INTERVAL);

        Eventually.await("a checkpoint signed by the timer", () -> audit.checkpointer.latest().isPresent());
        assertThat(audit.checkpointer.latest().orElseThrow().seq()).isEqualTo(1);
        assertThatThrownBy(() -> new AuditCheckpointer(audit.database, audit.log, audit.key, audit.clock)
                .start(Duration.ofMillis(60))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theSigningKeyIsStoredOnlySealedAndReopensWithTheMasterKey() {
        byte[][] row = audit.database.inTransaction(connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT public_key, sealed_private_key FROM audit_signing_key WHERE is_current");
                 ResultSet rs = select.executeQuery()) {
                rs.next();
                return new byte[][] {rs.getBytes(1), rs.getBytes(2)};
            }
        });
        byte[] sealed = row[1];

        assertThat(sealed[0]).isEqualTo((byte) 1); // the Sealer's format: version, nonce, AES-GCM ciphertext
        assertThat(sealed.length).isEqualTo(1 + 12 + 48 + 16); // PKCS#8 of an Ed25519 key is 48 bytes, here encrypted
        AuditSigningKey reopened = AuditSigningKey.loadOrCreate(audit.database, new Sealer(audit.masterKey), audit.clock);
        assertThat(reopened.publicKey()).isEqualTo(audit.key.publicKey());
        assertThat(audit.count("audit_signing_key")).isEqualTo(1);
        assertThat(row[0]).isEqualTo(audit.key.publicKey().der());
    }

    @Test
    void aSigningKeyThatDoesNotOpenWithThisMasterKeyStopsCore() {
        assertThatThrownBy(() -> AuditSigningKey.loadOrCreate(audit.database, new Sealer(MasterKey.generate()), audit.clock))
                .isInstanceOf(StartupRefusedException.class)
                .hasMessageContaining("does not open with this master key");
    }

    @Test
    void aReplacedPublicKeyRowStopsCore() {
        audit.sql("UPDATE audit_signing_key SET public_key = ?", (Object) AuditSigningKey.generate().publicKey().der());

        assertThatThrownBy(() -> AuditSigningKey.loadOrCreate(audit.database, new Sealer(audit.masterKey), audit.clock))
                .isInstanceOf(StartupRefusedException.class)
                .hasMessageContaining("does not belong to the sealed audit signing key");
    }

    @Test
    void theSigningKeyNeverShowsItsPrivateHalf() {
        String text = audit.key.toString();

        assertThat(text).isEqualTo("AuditSigningKey[" + audit.key.keyId() + ", private key redacted]");
        byte[] der = audit.key.publicKey().der();
        assertThat(text).doesNotContain(HexFormat.of().formatHex(der)).doesNotContain(Base64.getEncoder().encodeToString(der));
        assertThat(audit.key.publicKey().toString()).isEqualTo("AuditPublicKey[" + audit.key.keyId() + "]");
        assertThat(AuditPublicKey.class.getDeclaredMethods()).noneMatch(m -> m.getReturnType().getName().contains("PrivateKey"));
        assertThat(AuditSigningKey.class.getMethods()).noneMatch(m -> m.getReturnType().getName().contains("PrivateKey"));
        assertThat(new String(audit.key.publicKey().pem().getBytes(StandardCharsets.US_ASCII), StandardCharsets.US_ASCII))
                .doesNotContain("PRIVATE");
    }
}
