package dev.portcullis.core.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AuditLogTest {

    private final AuditFixture audit = new AuditFixture();

    @AfterEach
    void close() {
        audit.close();
    }

    @Test
    void sixteenThreadsAppendingConcurrentlyKeepOneUnbrokenGapFreeChain() throws Exception {
        int threads = 16;
        int perThread = 500;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        try {
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        AuditEvent event = AuditEvent.of("component:t" + thread, "test.appended", "event-" + i,
                                AuditEvent.Outcome.SUCCESS).with("thread", Integer.toString(thread));
                        if (i % 2 == 0) {
                            // inside a transaction of the caller's, next to the change it describes
                            audit.database.inTransaction(tx -> {
                                audit.log.append(tx, event);
                                return null;
                            });
                        } else {
                            audit.log.append(event);
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> future : done) {
                future.get(2, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        AuditLog.Head head = audit.log.sync();

        assertThat(head.seq()).isEqualTo(threads * perThread);
        assertThat(audit.seqRange()).isEqualTo(Map.of("min", 1L, "max", (long) threads * perThread, "count",
                (long) threads * perThread));
        assertThat(audit.count("audit_pending")).isZero();
        AuditVerification verification = audit.verifyDatabase();
        assertThat(verification.intact()).as(verification.summary()).isTrue();
        assertThat(verification.records()).isEqualTo(threads * perThread);
        assertThat(verification.lastHash()).isEqualTo(head.hash());
    }

    @Test
    void anAppendInsideARolledBackTransactionLeavesNoRecordAndNoGap() {
        audit.log.append(AuditEvent.of("core", "test.before", "a", AuditEvent.Outcome.SUCCESS));

        assertThatThrownBy(() -> audit.database.inTransaction(tx -> {
            audit.log.append(tx, AuditEvent.of("admin:alice", "invite.issued", "bob", AuditEvent.Outcome.SUCCESS));
            throw new IllegalStateException("the change failed after its event was appended");
        })).hasMessageContaining("change failed");
        audit.log.append(AuditEvent.of("core", "test.after", "b", AuditEvent.Outcome.SUCCESS));
        audit.log.sync();

        assertThat(audit.seqRange()).isEqualTo(Map.of("min", 1L, "max", 2L, "count", 2L));
        assertThat(audit.exportAll()).doesNotContain("invite.issued");
        assertThat(audit.verifyDatabase().intact()).isTrue();
    }

    @Test
    void anEventCommitsWithTheChangeItDescribes() throws Exception {
        audit.sql("CREATE TABLE test_changes (name text PRIMARY KEY)");

        audit.database.inTransaction(tx -> {
            try (PreparedStatement insert = tx.prepareStatement("INSERT INTO test_changes VALUES ('bob')")) {
                insert.executeUpdate();
            }
            audit.log.append(tx, AuditEvent.of("admin:alice", "invite.issued", "bob", AuditEvent.Outcome.SUCCESS)
                    .withSource("10.0.0.5").with("expires_in", "86400"));
            return null;
        });
        audit.log.sync();

        AuditRecord record = onlyRecord();
        assertThat(record.seq()).isEqualTo(1);
        assertThat(record.actor()).isEqualTo("admin:alice");
        assertThat(record.action()).isEqualTo("invite.issued");
        assertThat(record.subject()).isEqualTo("bob");
        assertThat(record.sourceAddress()).isEqualTo("10.0.0.5");
        assertThat(record.outcome()).isEqualTo("SUCCESS");
        assertThat(record.details()).isEqualTo(Map.of("expires_in", "86400"));
        assertThat(record.prevHash()).isEqualTo(AuditHash.GENESIS);
    }

    @Test
    void appendingOutsideATransactionIsRefused() throws Exception {
        try (Connection autoCommit = audit.database.dataSource().getConnection()) {
            assertThatThrownBy(() -> audit.log.append(autoCommit,
                    AuditEvent.of("core", "test.event", "x", AuditEvent.Outcome.SUCCESS)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("inside a transaction");
        }
        assertThat(audit.count("audit_pending") + audit.count("audit_records")).isZero();
    }

    @Test
    void anOwnTransactionAppendReturnsTheChainedRecord() {
        AuditRecord first = audit.log.append(AuditEvent.of("core", "core.started", "core-1", AuditEvent.Outcome.SUCCESS));
        AuditRecord second = audit.log.append(AuditEvent.of("user:bob", "mfa.totp.failed", "bob", AuditEvent.Outcome.DENIED));

        assertThat(first.seq()).isEqualTo(1);
        assertThat(second.seq()).isEqualTo(2);
        assertThat(second.prevHash()).isEqualTo(first.hash());
        assertThat(audit.log.head()).isEqualTo(new AuditLog.Head(2, second.hash()));
    }

    @Test
    void eventsCommittedButNotYetChainedWhenCoreStoppedAreChainedAtTheNextStart() {
        audit.log.append(AuditEvent.of("core", "test.first", "a", AuditEvent.Outcome.SUCCESS));
        audit.log.close();
        // core stopped: a transaction that committed just then leaves its event pending
        audit.database.inTransaction(tx -> {
            audit.log.append(tx, AuditEvent.of("user:bob", "session.started", "bob", AuditEvent.Outcome.SUCCESS));
            return null;
        });
        assertThat(audit.count("audit_pending")).isEqualTo(1);

        try (AuditLog restarted = AuditLog.start(audit.database, Clock.systemUTC())) {
            assertThat(restarted.sync().seq()).isEqualTo(2);
        }

        assertThat(audit.count("audit_pending")).isZero();
        assertThat(audit.verifyDatabase().intact()).isTrue();
    }

    @Test
    void twoCoreInstancesOnOneDatabaseAppendToOneChain() throws Exception {
        try (AuditLog other = AuditLog.start(audit.database, Clock.systemUTC())) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (AuditLog instance : List.of(audit.log, other, audit.log, other)) {
                    done.add(pool.submit(() -> {
                        for (int i = 0; i < 100; i++) {
                            AuditEvent event = AuditEvent.of("core", "test.appended", "e" + i, AuditEvent.Outcome.SUCCESS);
                            if (i % 2 == 0) {
                                instance.append(event);
                            } else {
                                audit.database.inTransaction(tx -> {
                                    instance.append(tx, event);
                                    return null;
                                });
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> future : done) {
                    future.get(1, TimeUnit.MINUTES);
                }
            } finally {
                pool.shutdownNow();
            }
            other.sync();
        }
        audit.log.sync();

        assertThat(audit.seqRange()).isEqualTo(Map.of("min", 1L, "max", 400L, "count", 400L));
        assertThat(audit.verifyDatabase().intact()).isTrue();
    }

    @Test
    void aRecordsHashIsSha256OfThePreviousHashAndTheDocumentedEncoding() throws Exception {
        Instant at = Instant.parse("2026-11-22T10:15:30.123456Z");
        TreeMap<String, String> details = new TreeMap<>(Map.of("b", "2", "a", "é"));
        AuditHash prev = AuditHash.fromHex("11".repeat(32));

        AuditHash hash = new RecordDigest().hash(prev, 7, at, "admin:alice", "invite.issued", "bob", null, "SUCCESS",
                details);

        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(expected);
        out.write(prev.bytes());
        out.writeByte(1);
        out.writeLong(7);
        out.writeLong(at.getEpochSecond() * 1_000_000 + 123_456);
        for (String text : List.of("admin:alice", "invite.issued", "bob")) {
            writeString(out, text);
        }
        out.writeInt(-1); // no source address
        writeString(out, "SUCCESS");
        out.writeInt(2);
        for (String text : List.of("a", "é", "b", "2")) {
            writeString(out, text);
        }
        assertThat(hash.bytes()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(expected.toByteArray()));
    }

    private static void writeString(DataOutputStream out, String text) throws IOException {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        out.writeInt(utf8.length);
        out.write(utf8);
    }

    private AuditRecord onlyRecord() {
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
        assertThat(records).hasSize(1);
        return records.get(0);
    }
}
