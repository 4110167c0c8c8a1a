package dev.portcullis.core.audit;

import dev.portcullis.core.store.Database;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;

/**
 * Exports the log from a cursor (a seq), as JSON lines ({@link AuditJsonLines}) or RFC 5424 syslog
 * ({@link AuditSyslog}). An export is read in one consistent snapshot and holds: the signed manifest
 * of the newest archived segment if the export starts the live chain (the anchor it continues from),
 * then the records from the cursor on, each followed by the checkpoints that cover it.
 * <p>
 * Resumable: every call returns the cursor to continue from, and the export of {@code [from, n)}
 * followed by the export from {@code n} is byte for byte the export from {@code from}.
 */
public final class AuditExporter {

    /** Rows per round trip to PostgreSQL while exporting. */
    private static final int FETCH_SIZE = 2_000;

    static final String SELECT_RECORDS = "SELECT seq, recorded_at, actor, action, subject, source_address, outcome, "
            + "details::text, prev_hash, hash FROM audit_records WHERE seq >= ? ORDER BY seq LIMIT ?";
    static final String SELECT_CHECKPOINTS = "SELECT seq, hash, signed_at, key_id, signature FROM audit_checkpoints "
            + "WHERE seq >= ? ORDER BY seq";
    static final String SELECT_SEGMENTS = "SELECT first_seq, last_seq, prev_hash, last_hash, record_count, sealed_at, "
            + "file_name, file_sha256, key_id, signature FROM audit_archive_segments";

    private final Database database;

    public AuditExporter(Database database) {
        this.database = database;
    }

    /** Receives the entries of an export in order. */
    @FunctionalInterface
    public interface EntrySink {
        void accept(AuditEntry entry) throws IOException;
    }

    /**
     * Passes the entries from seq {@code fromSeq} on, at most {@code maxRecords} records, to {@code sink};
     * returns the cursor to continue from (the seq after the last record, or where it would start).
     */
    public long export(long fromSeq, long maxRecords, EntrySink sink) throws IOException {
        if (fromSeq < 0 || maxRecords < 0) {
            throw new IllegalArgumentException("cursor and limit must not be negative");
        }
        try {
            return database.inTransaction(connection -> {
                try (Statement isolation = connection.createStatement()) {
                    isolation.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
                }
                return export(connection, fromSeq, maxRecords, sink);
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Writes JSON lines (UTF-8) to {@code out} (flushed, not closed); returns the cursor to continue from. */
    public long jsonLines(long fromSeq, long maxRecords, OutputStream out) throws IOException {
        Writer writer = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 1 << 16);
        StringBuilder line = new StringBuilder(1024);
        long next = export(fromSeq, maxRecords, entry -> {
            line.setLength(0);
            AuditJsonLines.write(entry, line);
            writer.append(line);
        });
        writer.flush();
        return next;
    }

    /** Writes RFC 5424 messages with RFC 6587 octet-counting framing to {@code out} (flushed, not closed). */
    public long syslog(long fromSeq, long maxRecords, AuditSyslog format, OutputStream out) throws IOException {
        long next = export(fromSeq, maxRecords, entry -> out.write(format.frame(entry)));
        out.flush();
        return next;
    }

    static long export(Connection connection, long fromSeq, long maxRecords, EntrySink sink) throws SQLException {
        AuditSegment anchor = null;
        try (Statement select = connection.createStatement();
             ResultSet rs = select.executeQuery(SELECT_SEGMENTS + " ORDER BY last_seq DESC LIMIT 1")) {
            if (rs.next()) {
                anchor = segment(rs);
            }
        }
        long firstLive = anchor == null ? 1 : anchor.lastSeq() + 1;
        long start = Math.max(fromSeq, firstLive);
        long next = start;
        try (PreparedStatement records = connection.prepareStatement(SELECT_RECORDS);
             PreparedStatement checkpoints = connection.prepareStatement(SELECT_CHECKPOINTS)) {
            records.setFetchSize(FETCH_SIZE);
            records.setLong(1, start);
            records.setLong(2, maxRecords);
            checkpoints.setFetchSize(FETCH_SIZE);
            checkpoints.setLong(1, start);
            try (ResultSet rs = records.executeQuery(); ResultSet cs = checkpoints.executeQuery()) {
                AuditCheckpoint checkpoint = null;
                boolean checkpointsLeft = true;
                while (rs.next()) {
                    AuditRecord record = record(rs);
                    if (anchor != null && record.seq() == firstLive && fromSeq <= firstLive) {
                        sink.accept(anchor);
                    }
                    sink.accept(record);
                    next = record.seq() + 1;
                    while (checkpointsLeft) {
                        if (checkpoint == null) {
                            checkpoint = nextCheckpoint(cs);
                            checkpointsLeft = checkpoint != null;
                        }
                        if (checkpoint == null || checkpoint.seq() > record.seq()) {
                            break;
                        }
                        sink.accept(checkpoint);
                        checkpoint = null;
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return next;
    }

    static AuditRecord record(ResultSet rs) throws SQLException {
        return new AuditRecord(rs.getLong(1), rs.getObject(2, OffsetDateTime.class).toInstant(), rs.getString(3),
                rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7),
                AuditJsonLines.parseDetails(rs.getString(8)), AuditHash.of(rs.getBytes(9)), AuditHash.of(rs.getBytes(10)));
    }

    static AuditCheckpoint nextCheckpoint(ResultSet cs) throws SQLException {
        if (!cs.next()) {
            return null;
        }
        return new AuditCheckpoint(cs.getLong(1), AuditHash.of(cs.getBytes(2)),
                cs.getObject(3, OffsetDateTime.class).toInstant(), cs.getString(4), cs.getBytes(5));
    }

    static AuditSegment segment(ResultSet rs) throws SQLException {
        return new AuditSegment(rs.getLong(1), rs.getLong(2), AuditHash.of(rs.getBytes(3)), AuditHash.of(rs.getBytes(4)),
                rs.getLong(5), rs.getObject(6, OffsetDateTime.class).toInstant(), rs.getString(7), rs.getBytes(8),
                rs.getString(9), rs.getBytes(10));
    }
}
