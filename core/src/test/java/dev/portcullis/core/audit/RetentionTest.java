package dev.portcullis.core.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.core.audit.AuditVerification.Problem;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RetentionTest {

    private final AuditFixture audit = new AuditFixture();
    private Path archive;

    @BeforeEach
    void hundredRecordsSignedEveryTen() {
        audit.appendVaried(100, 10, new Random(5));
        archive = audit.directory.resolve("archive");
    }

    @AfterEach
    void close() {
        audit.close();
    }

    @Test
    void aVerifiedLogPrunedStillVerifiesAndItsArchivedSegmentVerifiesOffline() throws IOException {
        assertThat(audit.verifyDatabase().intact()).isTrue();

        AuditSegment segment = audit.retention.prune(40, archive).orElseThrow();

        assertThat(segment.firstSeq()).isEqualTo(1);
        assertThat(segment.lastSeq()).isEqualTo(40);
        assertThat(segment.recordCount()).isEqualTo(40);
        assertThat(segment.prevHash()).isEqualTo(AuditHash.GENESIS);
        assertThat(audit.seqRange()).isEqualTo(Map.of("min", 41L, "max", 100L, "count", 60L));
        assertThat(audit.count("audit_checkpoints")).isEqualTo(6);
        AuditVerification live = audit.verifyDatabase();
        assertThat(live.intact()).as(live.summary()).isTrue();
        assertThat(live.firstSeq()).isEqualTo(41);
        assertThat(live.records()).isEqualTo(60);

        Path file = archive.resolve(segment.fileName());
        AuditSegment manifest = AuditVerifier.readManifest(archive.resolve(segment.fileName() + AuditRetention.MANIFEST_SUFFIX));
        assertThat(manifest).isEqualTo(segment);
        AuditVerification archived = AuditVerifier.verifySegment(file, manifest, audit.keys());
        assertThat(archived.intact()).as(archived.summary()).isTrue();
        assertThat(archived.records()).isEqualTo(40);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");

        // the live export now starts with the signed segment it continues from, and verifies on its own
        String export = audit.exportAll();
        assertThat(export.lines().findFirst().orElseThrow()).startsWith("{\"type\":\"segment\",\"first_seq\":1,\"last_seq\":40,");
        assertThat(audit.verifyText(export, AuditVerifier.Options.STRICT).intact()).isTrue();
        for (long first : List.of(0L, 1L, 5L, 60L)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            long cursor = audit.exporter.jsonLines(0, first, out);
            audit.exporter.jsonLines(cursor, Long.MAX_VALUE, out);
            assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(export);
        }
    }

    @Test
    void successivePrunesChainTheirSegmentsAndTheLogContinuesAfterEverythingIsArchived() throws IOException {
        AuditSegment first = audit.retention.prune(40, archive).orElseThrow();
        AuditSegment second = audit.retention.prune(70, archive).orElseThrow();
        AuditSegment third = audit.retention.prune(Long.MAX_VALUE, archive).orElseThrow();

        assertThat(second.prevHash()).isEqualTo(first.lastHash());
        assertThat(third.firstSeq()).isEqualTo(71);
        assertThat(third.lastSeq()).isEqualTo(100);
        assertThat(audit.retention.prune(Long.MAX_VALUE, archive)).isEmpty();
        for (AuditSegment segment : List.of(first, second, third)) {
            AuditVerification result = AuditVerifier.verifySegment(archive.resolve(segment.fileName()), segment, audit.keys());
            assertThat(result.intact()).as(segment + ": " + result.summary()).isTrue();
        }
        assertThat(Files.readString(archive.resolve(second.fileName()))).startsWith("{\"type\":\"segment\",\"first_seq\":1,");
        assertThat(audit.count("audit_records")).isZero();
        assertThat(audit.verifyDatabase().intact()).isTrue();

        AuditRecord next = audit.log.append(AuditEvent.of("core", "core.started", "core-1", AuditEvent.Outcome.SUCCESS));
        assertThat(next.seq()).isEqualTo(101);
        assertThat(next.prevHash()).isEqualTo(third.lastHash());
        assertThat(audit.verifyDatabase().intact()).isTrue();
        assertThat(audit.checkpointer.checkpointNow()).isPresent();
        assertThat(audit.verifyText(audit.exportAll(), AuditVerifier.Options.STRICT).intact()).isTrue();
    }

    @Test
    void aBrokenChainIsNeverSealedIntoASegment() throws IOException {
        audit.sql("UPDATE audit_records SET subject = 'someone else' WHERE seq = 5");

        assertThatThrownBy(() -> audit.retention.prune(50, archive))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("BROKEN at seq 5");

        assertThat(audit.count("audit_records")).isEqualTo(100);
        assertThat(audit.count("audit_archive_segments")).isZero();
        try (Stream<Path> files = Files.list(archive)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void anArchivedSegmentEditedAfterwardsOrWithAnAlteredManifestIsDetected() throws IOException {
        AuditSegment segment = audit.retention.prune(40, archive).orElseThrow();
        Path file = archive.resolve(segment.fileName());
        String original = Files.readString(file);

        Files.writeString(file, original.replace("\"outcome\":\"SUCCESS\"", "\"outcome\":\"DENIED\""));
        AuditVerification edited = AuditVerifier.verifySegment(file, segment, audit.keys());
        assertThat(edited.failure()).get().extracting(AuditVerification.Failure::problem).isEqualTo(Problem.HASH_MISMATCH);

        Files.writeString(file, original);
        AuditSegment shorter = new AuditSegment(segment.firstSeq(), 30, segment.prevHash(), segment.lastHash(), 30,
                segment.sealedAt(), segment.fileName(), segment.fileSha256(), segment.keyId(), segment.signature());
        assertThat(AuditVerifier.verifySegment(file, shorter, audit.keys()).failure()).get()
                .extracting(AuditVerification.Failure::problem).isEqualTo(Problem.BAD_SIGNATURE);

        String cut = original.substring(0, original.indexOf("{\"type\":\"record\",\"seq\":35,"));
        Files.writeString(file, cut);
        assertThat(AuditVerifier.verifySegment(file, segment, audit.keys()).intact()).isFalse();
    }
}
