package dev.portcullis.core.audit;

import dev.portcullis.core.store.Database;
import dev.portcullis.core.store.TestPostgres;
import dev.portcullis.pki.authority.MasterKey;
import dev.portcullis.pki.authority.Sealer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** The audit log on a fresh real PostgreSQL database, with its sealed signing key, checkpointer, exporter and retention. */
final class AuditFixture implements AutoCloseable {

    final Clock clock = Clock.systemUTC();
    final MasterKey masterKey = MasterKey.generate();
    final Database database = TestPostgres.freshDatabase().open();
    final AuditLog log = AuditLog.start(database, clock);
    final AuditSigningKey key = AuditSigningKey.loadOrCreate(database, new Sealer(masterKey), clock);
    final AuditCheckpointer checkpointer = new AuditCheckpointer(database, log, key, clock);
    final AuditExporter exporter = new AuditExporter(database);
    final AuditRetention retention = new AuditRetention(database, log, key, clock);
    final Path directory;

    AuditFixture() {
        try {
            directory = Files.createTempDirectory("portcullis-audit-test");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    List<AuditPublicKey> keys() {
        return List.of(key.publicKey());
    }

    /** Appends {@code count} varied events (own transactions), signing the head every {@code checkpointEvery} records and at the end. */
    void appendVaried(int count, int checkpointEvery, Random random) {
        for (int i = 1; i <= count; i++) {
            log.append(variedEvent(i, random));
            if (checkpointEvery > 0 && i % checkpointEvery == 0) {
                checkpointer.checkpointNow().orElseThrow();
            }
        }
        checkpointer.checkpointNow().orElseThrow();
    }

    static AuditEvent variedEvent(int i, Random random) {
        String[] actors = {"core", "admin:alice", "user:bob \"the builder\"", "component:gw-1", "user:zoë ]\\["};
        String[] actions = {"invite.issued", "mfa.totp.failed", "session.started", "component.removed", "acl.applied"};
        AuditEvent.Outcome[] outcomes = AuditEvent.Outcome.values();
        AuditEvent event = new AuditEvent(actors[random.nextInt(actors.length)], actions[random.nextInt(actions.length)],
                "subject-" + i + (random.nextInt(4) == 0 ? " with \"quotes\", \\ and ] and\nnewline 🔑" : ""),
                random.nextBoolean() ? "10.0." + random.nextInt(256) + "." + random.nextInt(256) : null,
                outcomes[random.nextInt(outcomes.length)], null);
        int details = random.nextInt(4);
        for (int d = 0; d < details; d++) {
            event = event.with("k" + d, random.nextBoolean() ? "v" + random.nextInt(1000) : "späť ]\"\\ " + d);
        }
        return event;
    }

    /** Everything, as JSON lines. */
    String exportAll() {
        return export(0, Long.MAX_VALUE);
    }

    String export(long from, long max) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            exporter.jsonLines(from, max, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    AuditVerification verifyText(String jsonLines, AuditVerifier.Options options) {
        try {
            return AuditVerifier.verifyStream(new java.io.ByteArrayInputStream(jsonLines.getBytes(StandardCharsets.UTF_8)),
                    keys(), options);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    AuditVerification verifyDatabase() {
        return AuditVerifier.verifyDatabase(database, keys());
    }

    /** Runs SQL as someone with write access to the database would (no audit code involved). */
    int sql(String statement, Object... parameters) {
        return database.inTransaction(connection -> {
            try (PreparedStatement update = connection.prepareStatement(statement)) {
                for (int i = 0; i < parameters.length; i++) {
                    update.setObject(i + 1, parameters[i]);
                }
                return update.executeUpdate();
            }
        });
    }

    long count(String table) {
        return database.inTransaction(connection -> {
            try (Statement select = connection.createStatement();
                 ResultSet rs = select.executeQuery("SELECT count(*) FROM " + table)) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    Map<String, Long> seqRange() {
        return database.inTransaction(connection -> {
            try (Statement select = connection.createStatement();
                 ResultSet rs = select.executeQuery("SELECT coalesce(min(seq), 0), coalesce(max(seq), 0), count(*) FROM audit_records")) {
                rs.next();
                return Map.of("min", rs.getLong(1), "max", rs.getLong(2), "count", rs.getLong(3));
            }
        });
    }

    @Override
    public void close() {
        checkpointer.close();
        log.close();
        database.close();
        try (java.util.stream.Stream<Path> files = Files.walk(directory)) {
            for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
