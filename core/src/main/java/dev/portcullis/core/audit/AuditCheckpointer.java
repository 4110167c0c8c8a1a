package dev.portcullis.core.audit;

import dev.portcullis.core.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signs the head of the chain (seq, hash) with the audit key: every {@code interval}
 * ({@link #DEFAULT_INTERVAL}) and on demand. Once a checkpoint covers a record, editing, removing
 * or rewriting any record up to it is detectable with the public key alone.
 */
public final class AuditCheckpointer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AuditCheckpointer.class);

    /**
     * How often the head is signed: at most this much of the newest log can be cut off (or rewritten
     * by someone with database access) without a signature showing it. A minute costs one small row
     * per minute of activity (nothing is signed while no event arrives).
     */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(60);
    /** Shorter intervals add rows without adding much protection; also keeps a typo (60ms) harmless. */
    static final Duration MIN_INTERVAL = Duration.ofSeconds(1);

    private final Database database;
    private final AuditLog log;
    private final AuditSigningKey key;
    private final Clock clock;
    private final ScheduledExecutorService timer;

    public AuditCheckpointer(Database database, AuditLog log, AuditSigningKey key, Clock clock) {
        this.database = database;
        this.log = log;
        this.key = key;
        this.clock = clock;
        this.timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "audit-checkpointer");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Starts signing the head every {@code interval}. */
    public AuditCheckpointer start(Duration interval) {
        if (interval.compareTo(MIN_INTERVAL) < 0) {
            throw new IllegalArgumentException("the audit checkpoint interval must be at least " + MIN_INTERVAL.toSeconds()
                    + " s (got " + interval + ")");
        }
        timer.scheduleWithFixedDelay(this::scheduled, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    private void scheduled() {
        try {
            checkpointNow();
        } catch (RuntimeException e) {
            LOG.warn("audit checkpoint failed; retrying at the next interval: {}", e.toString());
        }
    }

    /**
     * Chains what is committed, then signs the head, unless a checkpoint already covers it. Empty only
     * while the log has no record at all (or every record is archived, where the segment's signature covers it).
     */
    public Optional<AuditCheckpoint> checkpointNow() {
        AuditLog.Head head = log.sync();
        return database.inTransaction(connection -> {
            if (head.seq() == 0 || head.seq() <= archivedThrough(connection)) {
                return Optional.empty();
            }
            Optional<AuditCheckpoint> existing = at(connection, head.seq());
            if (existing.isPresent()) {
                return existing;
            }
            AuditCheckpoint checkpoint = AuditCheckpoint.sign(head.seq(), head.hash(), clock.instant(), key);
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO audit_checkpoints "
                    + "(seq, hash, signed_at, key_id, signature) VALUES (?, ?, ?, ?, ?) ON CONFLICT (seq) DO NOTHING")) {
                insert.setLong(1, checkpoint.seq());
                insert.setBytes(2, checkpoint.hash().view());
                insert.setObject(3, Database.timestamp(checkpoint.signedAt()));
                insert.setString(4, checkpoint.keyId());
                insert.setBytes(5, checkpoint.signature());
                if (insert.executeUpdate() == 0) {
                    return at(connection, head.seq()); // another core instance signed the same head
                }
            }
            return Optional.of(checkpoint);
        });
    }

    /** The newest stored checkpoint. */
    public Optional<AuditCheckpoint> latest() {
        return database.inTransaction(connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT seq, hash, signed_at, key_id, signature FROM audit_checkpoints ORDER BY seq DESC LIMIT 1");
                 ResultSet rs = select.executeQuery()) {
                return Optional.ofNullable(AuditExporter.nextCheckpoint(rs));
            }
        });
    }

    public AuditPublicKey publicKey() {
        return key.publicKey();
    }

    private static Optional<AuditCheckpoint> at(Connection connection, long seq) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT seq, hash, signed_at, key_id, signature FROM audit_checkpoints WHERE seq = ?")) {
            select.setLong(1, seq);
            try (ResultSet rs = select.executeQuery()) {
                return Optional.ofNullable(AuditExporter.nextCheckpoint(rs));
            }
        }
    }

    static long archivedThrough(Connection connection) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT coalesce(max(last_seq), 0) FROM audit_archive_segments");
             ResultSet rs = select.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
