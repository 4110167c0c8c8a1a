package dev.portcullis.core.audit;

import dev.portcullis.core.store.Database;
import dev.portcullis.core.store.EmbeddedPostgresServer;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Benchmark, not a test: how fast the audit log appends under concurrent load, and how fast an
 * export verifies offline.
 * <ul>
 * <li>Appends: {@code threads} threads append {@code appends} events in all, against core's embedded
 *   PostgreSQL (its production settings: synchronous_commit on, a real WAL flush per commit) through
 *   core's connection pool (8 connections). Three ways: inside the caller's transaction (each
 *   transaction also inserts a row of its own, like an audited change), in a transaction of its own
 *   (batched by the chainer), and for comparison the design this log does not use: numbering and
 *   hashing under the head row lock inside the caller's transaction. Each run ends with the chain
 *   verified intact, gap-free and complete.</li>
 * <li>Verification: a synthetic export of {@code records} records (realistic field sizes, a signed
 *   checkpoint every 10,000) written to a temporary file and verified {@code rounds} times.</li>
 * </ul>
 * Each append mode runs once as a JIT warm-up (a quarter of the events, not reported), then in three
 * measured rounds; {@code rounds} is the number of verification rounds.
 * Run: {@code ./bench audit [threads=16] [appends=20000] [records=1000000] [rounds=3]}. Results: BENCHMARKS.md.
 */
public final class AuditBench {

    private static final int CHECKPOINT_EVERY = 10_000;

    private AuditBench() {
    }

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 16;
        int appends = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        int records = args.length > 2 ? Integer.parseInt(args[2]) : 1_000_000;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        Path home = Files.createTempDirectory("portcullis-audit-bench");
        EmbeddedPostgresServer server = EmbeddedPostgresServer.start(home);
        try {
            System.out.printf("threads=%d appends=%d (per run) cpus=%d, load average at start %s%n", threads, appends,
                    Runtime.getRuntime().availableProcessors(), loadAverage());
            int database = 0;
            System.out.printf("-- warm-up (JIT), not counted%n");
            for (Mode mode : Mode.values()) {
                appendRun(server, "bench_" + ++database, mode, threads, appends / 4, false);
            }
            for (int round = 1; round <= 3; round++) {
                System.out.printf("-- appends, round %d (load average %s)%n", round, loadAverage());
                appendRun(server, "bench_" + ++database, Mode.IN_CALLER_TRANSACTION, threads, appends, true);
                appendRun(server, "bench_" + ++database, Mode.OWN_TRANSACTION, threads, appends, true);
                appendRun(server, "bench_" + ++database, Mode.HEAD_LOCK_IN_CALLER_TRANSACTION, threads, appends, true);
                appendRun(server, "bench_" + ++database, Mode.CHANGE_ONLY, threads, appends, true);
            }
            System.out.printf("-- verification of an export file (load average %s)%n", loadAverage());
            verifyRuns(home, records, rounds);
        } finally {
            server.close();
            deleteRecursively(home);
        }
    }

    private enum Mode {
        IN_CALLER_TRANSACTION("append(tx, event) inside the caller's transaction (this design)"),
        OWN_TRANSACTION("append(event), own transaction, batched by the chainer"),
        HEAD_LOCK_IN_CALLER_TRANSACTION("baseline not used: chain under the head row lock inside the caller's transaction"),
        CHANGE_ONLY("reference: the same transactions without any audit event (the machine's ceiling)");

        final String label;

        Mode(String label) {
            this.label = label;
        }
    }

    private static void appendRun(EmbeddedPostgresServer server, String name, Mode mode, int threads, int appends,
                                  boolean report) throws Exception {
        server.createDatabase(name);
        try (Database database = Database.external(server.jdbcUrl(name), server.user(), server.password());
             AuditLog log = AuditLog.start(database, Clock.systemUTC())) {
            database.inTransaction(tx -> {
                try (Statement create = tx.createStatement()) {
                    create.execute("CREATE TABLE bench_changes (id bigserial PRIMARY KEY, name text NOT NULL)");
                }
                return null;
            });
            int perThread = appends / threads;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            RecordDigest[] digests = new RecordDigest[threads];
            for (int t = 0; t < threads; t++) {
                int thread = t;
                digests[t] = new RecordDigest();
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        AuditEvent event = new AuditEvent("admin:alice", "invite.issued", "user-" + thread + "-" + i,
                                "10.0." + thread + "." + (i % 256), AuditEvent.Outcome.SUCCESS, null)
                                .with("expires_in", "86400").with("thread", Integer.toString(thread));
                        switch (mode) {
                            case OWN_TRANSACTION -> log.append(event);
                            case IN_CALLER_TRANSACTION -> database.inTransaction(tx -> {
                                change(tx, event);
                                log.append(tx, event);
                                return null;
                            });
                            case HEAD_LOCK_IN_CALLER_TRANSACTION -> database.inTransaction(tx -> {
                                change(tx, event);
                                appendUnderHeadLock(tx, event, digests[thread]);
                                return null;
                            });
                            case CHANGE_ONLY -> database.inTransaction(tx -> {
                                change(tx, event);
                                return null;
                            });
                        }
                    }
                    return null;
                }));
            }
            long t0 = System.nanoTime();
            start.countDown();
            for (Future<?> future : done) {
                future.get(30, TimeUnit.MINUTES);
            }
            long committed = System.nanoTime();
            AuditLog.Head head = log.sync();
            long chained = System.nanoTime();
            pool.shutdown();
            long total = (long) perThread * threads;
            if (!report) {
                if (mode != Mode.CHANGE_ONLY && !AuditVerifier.verifyDatabase(database, List.of()).intact()) {
                    throw new IllegalStateException("the chain is not intact after the warm-up");
                }
                return;
            }
            if (mode == Mode.CHANGE_ONLY) {
                System.out.printf("%-95s %,8.0f transactions/s committed%n", mode.label, total / ((committed - t0) / 1e9));
                return;
            }
            long v0 = System.nanoTime();
            AuditVerification verification = AuditVerifier.verifyDatabase(database, List.of());
            double verifySeconds = (System.nanoTime() - v0) / 1e9;
            boolean complete = head.seq() == total && verification.records() == total && verification.intact();
            System.out.printf("%-95s %,8.0f appends/s committed, %,8.0f/s chained; chain %s (%,d records, seq 1..%d); "
                            + "live verification %,.0f records/s%n", mode.label,
                    total / ((committed - t0) / 1e9), total / ((chained - t0) / 1e9),
                    complete ? "intact and gap-free" : "BROKEN: " + verification.summary(), verification.records(),
                    verification.lastSeq(), verification.records() / verifySeconds);
            if (!complete) {
                throw new IllegalStateException("the chain is not intact after the run: " + verification.summary());
            }
        }
    }

    /** The audited change itself: one row, as an invite or a session would be. */
    private static void change(java.sql.Connection tx, AuditEvent event) throws java.sql.SQLException {
        try (PreparedStatement insert = tx.prepareStatement("INSERT INTO bench_changes (name) VALUES (?)")) {
            insert.setString(1, event.subject());
            insert.executeUpdate();
        }
    }

    /** The rejected design, for comparison: the head row stays locked from here until the caller commits. */
    private static void appendUnderHeadLock(java.sql.Connection tx, AuditEvent event, RecordDigest digest)
            throws java.sql.SQLException {
        long seq;
        AuditHash prev;
        try (Statement lock = tx.createStatement();
             ResultSet rs = lock.executeQuery("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE")) {
            rs.next();
            seq = rs.getLong(1) + 1;
            prev = AuditHash.of(rs.getBytes(2));
        }
        AuditRecord record = AuditRecord.chain(seq, AuditClock.now(Clock.systemUTC()), event, prev, digest);
        try (PreparedStatement insert = tx.prepareStatement("INSERT INTO audit_records (seq, recorded_at, actor, action, "
                + "subject, source_address, outcome, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?)")) {
            insert.setLong(1, seq);
            insert.setObject(2, Database.timestamp(record.recordedAt()));
            insert.setString(3, record.actor());
            insert.setString(4, record.action());
            insert.setString(5, record.subject());
            insert.setString(6, record.sourceAddress());
            insert.setString(7, record.outcome());
            insert.setString(8, AuditJsonLines.detailsJson(record.details()));
            insert.setBytes(9, prev.bytes());
            insert.setBytes(10, record.hash().bytes());
            insert.executeUpdate();
        }
        try (PreparedStatement move = tx.prepareStatement("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1")) {
            move.setLong(1, seq);
            move.setBytes(2, record.hash().bytes());
            move.executeUpdate();
        }
    }

    private static void verifyRuns(Path home, int records, int rounds) throws IOException {
        AuditSigningKey key = AuditSigningKey.generate();
        Path file = home.resolve("export.jsonl");
        long g0 = System.nanoTime();
        writeSyntheticExport(file, records, key);
        System.out.printf("wrote %,d records (%,.1f MB, checkpoint every %,d) in %.1f s%n", records,
                Files.size(file) / 1e6, CHECKPOINT_EVERY, (System.nanoTime() - g0) / 1e9);
        for (int round = 1; round <= rounds; round++) {
            long t0 = System.nanoTime();
            AuditVerification result = AuditVerifier.verifyFile(file, List.of(key.publicKey()), AuditVerifier.Options.STRICT);
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (!result.intact() || result.records() != records) {
                throw new IllegalStateException("the synthetic export does not verify: " + result.summary());
            }
            System.out.printf("round %d: verified %,d records and %,d checkpoints in %.2f s: %,.0f records/s (%,.0f MB/s)%n",
                    round, result.records(), result.checkpoints(), seconds, records / seconds,
                    Files.size(file) / 1e6 / seconds);
        }
    }

    private static void writeSyntheticExport(Path file, int records, AuditSigningKey key) throws IOException {
        RecordDigest digest = new RecordDigest();
        AuditHash prev = AuditHash.GENESIS;
        Instant start = AuditClock.micros(Instant.now().minusSeconds(records));
        String[] actions = {"invite.issued", "mfa.totp.failed", "session.started", "session.ended", "acl.applied"};
        AuditEvent.Outcome[] outcomes = AuditEvent.Outcome.values();
        StringBuilder line = new StringBuilder(1024);
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            for (int i = 1; i <= records; i++) {
                TreeMap<String, String> details = new TreeMap<>();
                details.put("device", "laptop-" + (i % 97));
                details.put("location", "office-" + (i % 5));
                Instant at = start.plusMillis(i).plusNanos((i % 1000) * 1000L);
                String outcome = outcomes[i % outcomes.length].name();
                String action = actions[i % actions.length];
                String subject = "user:person-" + (i % 5000) + "@example.org";
                String source = "203.0.113." + (i % 256);
                AuditHash hash = digest.hash(prev, i, at, "user:person-" + (i % 5000), action, subject, source, outcome,
                        details);
                line.setLength(0);
                AuditJsonLines.write(new AuditRecord(i, at, "user:person-" + (i % 5000), action, subject, source, outcome,
                        details, prev, hash), line);
                if (i % CHECKPOINT_EVERY == 0 || i == records) {
                    AuditJsonLines.write(AuditCheckpoint.sign(i, hash, at, key), line);
                }
                out.write(line.toString().getBytes(StandardCharsets.UTF_8));
                prev = hash;
            }
        }
    }

    /** The 1-minute load average (Linux), so that a number taken on a busy machine says so. */
    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
