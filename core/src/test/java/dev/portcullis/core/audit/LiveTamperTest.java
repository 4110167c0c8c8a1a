package dev.portcullis.core.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.core.audit.AuditVerification.Problem;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Someone with write access to the database edits the audit tables by hand; verification of the live log says where. */
class LiveTamperTest {

    private final AuditFixture audit = new AuditFixture();

    @BeforeEach
    void fiftyRecordsSignedEveryTen() {
        audit.appendVaried(50, 10, new Random(7));
        assertThat(audit.verifyDatabase().intact()).isTrue();
    }

    @AfterEach
    void close() {
        audit.close();
    }

    @Test
    void aHandEditedOutcomeIsDetectedAtThatRecord() {
        audit.sql("UPDATE audit_records SET outcome = CASE WHEN outcome = 'SUCCESS' THEN 'DENIED' ELSE 'SUCCESS' END "
                + "WHERE seq = 37");

        assertProblem(audit.verifyDatabase(), Problem.HASH_MISMATCH, 37);
    }

    @Test
    void aHandEditedDetailIsDetectedAtThatRecord() {
        audit.sql("UPDATE audit_records SET details = details || '{\"reason\": \"routine\"}'::jsonb WHERE seq = 12");

        assertProblem(audit.verifyDatabase(), Problem.HASH_MISMATCH, 12);
    }

    @Test
    void aDeletedRecordIsDetectedAsAGap() {
        audit.sql("DELETE FROM audit_records WHERE seq = 23");

        assertProblem(audit.verifyDatabase(), Problem.MISSING, 23);
    }

    @Test
    void recordsCutOffBelowASignedCheckpointAreDetectedEvenWithTheHeadMovedBack() {
        AuditRecord last = records().get(33);
        audit.sql("DELETE FROM audit_records WHERE seq > 34");
        audit.sql("UPDATE audit_head SET seq = 34, hash = ?", (Object) last.hash().bytes());

        assertProblem(audit.verifyDatabase(), Problem.TRUNCATED, 35);
    }

    @Test
    void recordsCutOffAfterTheLastCheckpointAreDetectedByTheHead() {
        audit.log.append(AuditEvent.of("admin:alice", "admin.token.created", "ci", AuditEvent.Outcome.SUCCESS));
        audit.log.append(AuditEvent.of("admin:alice", "admin.token.created", "mallory", AuditEvent.Outcome.SUCCESS));

        audit.sql("DELETE FROM audit_records WHERE seq = 52");

        assertProblem(audit.verifyDatabase(), Problem.TRUNCATED, 52);
    }

    @Test
    void aChainRewrittenWithFreshHashesIsCaughtByTheNextSignedCheckpoint() {
        RecordDigest digest = new RecordDigest();
        List<AuditRecord> records = records();
        AuditHash prev = records.get(22).prevHash();
        for (AuditRecord r : records.subList(22, records.size())) {
            String outcome = r.seq() == 23 ? "DENIED".equals(r.outcome()) ? "SUCCESS" : "DENIED" : r.outcome();
            AuditHash hash = digest.hash(prev, r.seq(), r.recordedAt(), r.actor(), r.action(), r.subject(),
                    r.sourceAddress(), outcome, r.details());
            audit.sql("UPDATE audit_records SET outcome = ?, prev_hash = ?, hash = ? WHERE seq = ?", outcome, prev.bytes(),
                    hash.bytes(), r.seq());
            prev = hash;
        }
        audit.sql("UPDATE audit_head SET hash = ?", (Object) prev.bytes());

        assertProblem(audit.verifyDatabase(), Problem.CHECKPOINT_MISMATCH, 30);
    }

    @Test
    void aCorrectlyChainedRecordInsertedBehindTheChainersBackIsDetectedByTheHead() {
        AuditRecord last = records().get(49);
        AuditHash hash = new RecordDigest().hash(last.hash(), 51, last.recordedAt(), "admin:mallory", "audit.note", "", null,
                "SUCCESS", new java.util.TreeMap<>());
        audit.sql("INSERT INTO audit_records (seq, recorded_at, actor, action, subject, outcome, details, prev_hash, hash) "
                + "VALUES (51, ?, 'admin:mallory', 'audit.note', '', 'SUCCESS', '{}', ?, ?)",
                dev.portcullis.core.store.Database.timestamp(last.recordedAt()), last.hash().bytes(), hash.bytes());

        assertProblem(audit.verifyDatabase(), Problem.HEAD_MISMATCH, 51);
    }

    private static void assertProblem(AuditVerification result, Problem problem, long seq) {
        assertThat(result.failure()).as(result.summary()).isPresent();
        assertThat(result.failure().get().problem()).as(result.summary()).isEqualTo(problem);
        assertThat(result.failure().get().seq()).as(result.summary()).isEqualTo(seq);
    }

    private List<AuditRecord> records() {
        List<AuditRecord> records = new ArrayList<>();
        try {
            audit.exporter.export(0, Long.MAX_VALUE, entry -> {
                if (entry instanceof AuditRecord r) {
                    records.add(r);
                }
            });
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return records;
    }
}
