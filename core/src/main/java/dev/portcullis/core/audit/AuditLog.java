package dev.portcullis.core.audit;

import dev.portcullis.core.store.Database;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The append side of the audit log: one hash chain, strictly increasing {@code seq} without gaps.
 * <p>
 * How events get into the chain, and why this way:
 * <ul>
 * <li>{@link #append(Connection, AuditEvent)} writes the event into {@code audit_pending} inside the
 *   caller's transaction: it commits with the change it describes and disappears with its rollback.
 *   It takes no lock, so audited transactions do not queue behind each other.</li>
 * <li>One chainer thread moves committed pending events into {@code audit_records} in batches: in
 *   one transaction it locks the single {@code audit_head} row, numbers the events, computes each
 *   hash from the previous one, inserts them, deletes them from pending and moves the head. A
 *   second core instance on the same database serialises on the same row lock, so there is still
 *   one chain. A crash between the caller's commit and the chaining loses nothing: the pending row
 *   is chained on the next pass.</li>
 * <li>{@link #append(AuditEvent)} (an event with no transaction of its own to join) is handed to
 *   the chainer directly and returns once the batch holding it has committed.</li>
 * </ul>
 * Holding the head lock from the append until the caller's commit was measured first: every audited
 * transaction then waits for the previous one's commit (WAL flush), about 1,700 appends/s here, under
 * the 5,000/s goal. Chaining after commit lets PostgreSQL group the callers' commits (5,000+/s, see
 * BENCHMARKS.md). The price is a short window (normally milliseconds; about a second at most while
 * core runs, or until the next start if core stops in between) in which a committed event is durable
 * but not yet chained, so someone with write access to the database could still remove it unnoticed.
 */
public final class AuditLog implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);

    /**
     * Events per chaining transaction. Large enough that a burst is chained in few commits, small
     * enough that one transaction stays short (tens of milliseconds) and holds at most a few
     * megabytes of records (an event is at most about 10 KB).
     */
    static final int MAX_BATCH = 1_000;
    /**
     * Own-transaction appends waiting for the chainer. Bounded so that a stalled database pushes
     * back on callers rather than growing memory; ten batches absorb any burst core produces.
     */
    static final int QUEUE_CAPACITY = 10 * MAX_BATCH;
    /** How long an own-transaction append waits to be queued and then committed before it reports failure. */
    static final Duration APPEND_TIMEOUT = Duration.ofSeconds(30);
    /**
     * How often the chainer looks for pending events nobody told it about: events committed by another
     * core instance, left by a crash, or committed long after their append.
     */
    static final Duration IDLE_POLL = Duration.ofSeconds(1);
    /**
     * After an in-transaction append the chainer cannot know when the caller commits, so it looks
     * again after 1, 2, 4 … ms, {@link #FAST_POLLS} times (about a quarter of a second in all), then
     * falls back to {@link #IDLE_POLL}. Each look is one cheap read-only query.
     */
    static final Duration FIRST_PENDING_POLL = Duration.ofMillis(1);
    static final int FAST_POLLS = 8;
    /**
     * After a pass that chained in-transaction events, the chainer waits this long before the next,
     * so that the next pass takes a larger batch: fewer chaining commits compete with the audited
     * transactions for the WAL flush and the two cores. Own-transaction appenders, who wait for the
     * chainer, wake it at once. A few milliseconds of chaining delay cost nothing: the events are
     * already durable.
     */
    static final Duration GATHER = Duration.ofMillis(5);
    /** How long {@link #close()} waits for the chainer to chain what is queued. */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

    private static final String INSERT_PENDING = "INSERT INTO audit_pending "
            + "(recorded_at, actor, action, subject, source_address, outcome, details) VALUES (?, ?, ?, ?, ?, ?, ?::jsonb)";

    private final Database database;
    private final Clock clock;
    private final BlockingQueue<Queued> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    /** Serialises chaining passes in this JVM; guards {@link #digest}. */
    private final Object passLock = new Object();
    private final RecordDigest digest = new RecordDigest();
    /** Whether the last pass chained anything (more is then likely: skip the look-first query); guarded by passLock. */
    private boolean lastPassFound;
    /** Counts in-transaction appends, so the chainer knows one happened since it last looked. */
    private final AtomicLong pendingHints = new AtomicLong();
    private final Thread chainer;
    private volatile boolean closed;

    private AuditLog(Database database, Clock clock) {
        this.database = database;
        this.clock = clock;
        this.chainer = new Thread(this::chainLoop, "audit-chainer");
        this.chainer.setDaemon(true);
    }

    /** Opens the log and starts its chainer thread. */
    public static AuditLog start(Database database, Clock clock) {
        AuditLog log = new AuditLog(database, clock);
        log.chainer.start();
        return log;
    }

    /** The head of the chain: the last chained record's seq (0 if none) and hash. */
    public record Head(long seq, AuditHash hash) {
    }

    /**
     * Appends {@code event} inside the caller's transaction: it is recorded if and only if that
     * transaction commits. {@code tx} must have auto-commit off (as in {@link Database#inTransaction}).
     */
    public void append(Connection tx, AuditEvent event) throws SQLException {
        if (tx.getAutoCommit()) {
            throw new IllegalArgumentException(
                    "append(tx, event) needs a connection inside a transaction (auto-commit off)");
        }
        try (PreparedStatement insert = tx.prepareStatement(INSERT_PENDING)) {
            insert.setObject(1, Database.timestamp(AuditClock.now(clock)));
            insert.setString(2, event.actor());
            insert.setString(3, event.action());
            insert.setString(4, event.subject());
            insert.setString(5, event.sourceAddress());
            insert.setString(6, event.outcome().name());
            insert.setString(7, AuditJsonLines.detailsJson(event.details()));
            insert.executeUpdate();
        }
        pendingHints.incrementAndGet();
        LockSupport.unpark(chainer);
    }

    /**
     * Appends {@code event} in a transaction of its own (batched with other appends) and returns the
     * chained record once it has committed. For events with no change of their own to join (a refused
     * login, a failed MFA code). A caller inside a transaction uses {@link #append(Connection, AuditEvent)}
     * instead: waiting here while holding a pooled connection takes one the chainer may need.
     *
     * @throws AuditUnavailableException if the event could not be recorded within {@link #APPEND_TIMEOUT}
     */
    public AuditRecord append(AuditEvent event) {
        if (closed) {
            throw new AuditUnavailableException("the audit log is closed", null);
        }
        Queued queued = new Queued(event, AuditClock.now(clock), new CompletableFuture<>());
        try {
            if (!queue.offer(queued, APPEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AuditUnavailableException("the audit log is not keeping up (queue full for "
                        + APPEND_TIMEOUT.toSeconds() + " s); the event was not recorded", null);
            }
            LockSupport.unpark(chainer);
            return queued.result.get(APPEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AuditUnavailableException("interrupted while appending to the audit log", e);
        } catch (ExecutionException e) {
            throw new AuditUnavailableException("the audit log could not record the event", e.getCause());
        } catch (TimeoutException e) {
            throw new AuditUnavailableException("the audit log did not confirm the event within "
                    + APPEND_TIMEOUT.toSeconds() + " s (it may still be recorded)", e);
        }
    }

    /** Chains every event committed before this call; returns the head afterwards. */
    public Head sync() {
        while (pass() >= MAX_BATCH) {
            // a full batch may have left more behind; a smaller one took everything its snapshot saw
        }
        return head();
    }

    /** The current head, as committed. */
    public Head head() {
        return database.inTransaction(AuditLog::head);
    }

    static Head head(Connection connection) throws SQLException {
        try (Statement select = connection.createStatement();
             ResultSet rs = select.executeQuery("SELECT seq, hash FROM audit_head WHERE id = 1")) {
            if (!rs.next()) {
                throw new IllegalStateException("audit_head row is missing");
            }
            return new Head(rs.getLong(1), AuditHash.of(rs.getBytes(2)));
        }
    }

    /** Stops the chainer after it has chained what is queued. Pending in-transaction events stay for the next start. */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(chainer);
        try {
            chainer.join(CLOSE_WAIT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<Queued> left = new ArrayList<>();
        queue.drainTo(left);
        left.forEach(q -> q.result.completeExceptionally(new AuditUnavailableException("the audit log closed", null)));
    }

    // ---- chaining ---------------------------------------------------------------------------------

    private void chainLoop() {
        long seenHints = pendingHints.get();
        int idlePolls = FAST_POLLS;
        boolean failing = false;
        while (true) {
            boolean closing = closed;
            int chained = 0;
            boolean failed = false;
            try {
                chained = pass();
                if (failing) {
                    LOG.info("audit chaining works again");
                    failing = false;
                }
            } catch (RuntimeException e) {
                if (!failing) {
                    LOG.warn("audit chaining failed; pending events stay pending and are retried: {}", e.toString());
                    failing = true;
                }
                failed = true;
            }
            if (closing && queue.isEmpty()) {
                return;
            }
            if (failed) {
                idlePolls = FAST_POLLS;
                LockSupport.parkNanos(this, IDLE_POLL.toNanos()); // back off; queued appenders were told
                continue;
            }
            if (!queue.isEmpty() || chained >= MAX_BATCH) {
                continue;
            }
            if (chained > 0) {
                idlePolls = 0;
                LockSupport.parkNanos(this, GATHER.toNanos());
                continue;
            }
            long hints = pendingHints.get();
            if (hints != seenHints) {
                seenHints = hints;
                idlePolls = 0;
            }
            long waitNanos = idlePolls < FAST_POLLS ? FIRST_PENDING_POLL.toNanos() << idlePolls : IDLE_POLL.toNanos();
            idlePolls++;
            if (!closed && queue.isEmpty()) {
                LockSupport.parkNanos(this, waitNanos);
            }
        }
    }

    /** One chaining transaction; returns how many events it chained. */
    int pass() {
        synchronized (passLock) {
            List<Queued> queued = new ArrayList<>();
            queue.drainTo(queued, MAX_BATCH);
            if (queued.isEmpty() && !lastPassFound && !pendingExists()) {
                return 0;
            }
            List<AuditRecord> chained;
            try {
                chained = database.inTransaction(connection -> chainBatch(connection, queued));
            } catch (RuntimeException e) {
                queued.forEach(q -> q.result.completeExceptionally(e));
                throw e;
            }
            lastPassFound = !chained.isEmpty();
            int fromPending = chained.size() - queued.size();
            for (int i = 0; i < queued.size(); i++) {
                queued.get(i).result.complete(chained.get(fromPending + i));
            }
            return chained.size();
        }
    }

    /** A read without locks or writes (no WAL flush): most looks find nothing. */
    private boolean pendingExists() {
        return database.inTransaction(connection -> {
            try (Statement select = connection.createStatement();
                 ResultSet rs = select.executeQuery("SELECT EXISTS (SELECT 1 FROM audit_pending)")) {
                rs.next();
                return rs.getBoolean(1);
            }
        });
    }

    private List<AuditRecord> chainBatch(Connection connection, List<Queued> queued) throws SQLException {
        long seq;
        AuditHash prev;
        try (Statement lock = connection.createStatement();
             ResultSet rs = lock.executeQuery("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE")) {
            if (!rs.next()) {
                throw new IllegalStateException("audit_head row is missing");
            }
            seq = rs.getLong(1);
            prev = AuditHash.of(rs.getBytes(2));
        }
        List<AuditRecord> records = new ArrayList<>(queued.size());
        List<Long> pendingIds = new ArrayList<>();
        // After the head lock: this statement sees every pending row committed before the lock was granted,
        // and none that another chainer already moved.
        try (PreparedStatement select = connection.prepareStatement("SELECT id, recorded_at, actor, action, subject, "
                + "source_address, outcome, details::text FROM audit_pending ORDER BY id LIMIT " + MAX_BATCH);
             ResultSet rs = select.executeQuery()) {
            while (rs.next()) {
                pendingIds.add(rs.getLong(1));
                Instant recordedAt = rs.getObject(2, OffsetDateTime.class).toInstant();
                SortedMap<String, String> details = AuditJsonLines.parseDetails(rs.getString(8));
                seq++;
                AuditHash hash = digest.hash(prev, seq, recordedAt, rs.getString(3), rs.getString(4), rs.getString(5),
                        rs.getString(6), rs.getString(7), details);
                records.add(new AuditRecord(seq, recordedAt, rs.getString(3), rs.getString(4), rs.getString(5),
                        rs.getString(6), rs.getString(7), details, prev, hash));
                prev = hash;
            }
        }
        for (Queued q : queued) {
            AuditRecord record = AuditRecord.chain(++seq, q.recordedAt, q.event, prev, digest);
            records.add(record);
            prev = record.hash();
        }
        if (records.isEmpty()) {
            return records;
        }
        insertAll(connection, records);
        if (!pendingIds.isEmpty()) {
            try (PreparedStatement delete = connection.prepareStatement("DELETE FROM audit_pending WHERE id = ANY (?)")) {
                Array ids = connection.createArrayOf("bigint", pendingIds.toArray());
                delete.setArray(1, ids);
                delete.executeUpdate();
            }
        }
        try (PreparedStatement move = connection.prepareStatement("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1")) {
            move.setLong(1, seq);
            move.setBytes(2, prev.view());
            move.executeUpdate();
        }
        return records;
    }

    /**
     * Inserts the whole batch with one statement (one array per column, unnested by PostgreSQL): a
     * thousand single-row inserts cost the server a thousand executions, which on a busy two-core
     * machine is CPU the audited transactions need.
     */
    private static void insertAll(Connection connection, List<AuditRecord> records) throws SQLException {
        int n = records.size();
        Long[] seqs = new Long[n];
        String[] times = new String[n];
        String[] actors = new String[n];
        String[] actions = new String[n];
        String[] subjects = new String[n];
        String[] sources = new String[n];
        String[] outcomes = new String[n];
        String[] details = new String[n];
        String[] prevHashes = new String[n];
        String[] hashes = new String[n];
        for (int i = 0; i < n; i++) {
            AuditRecord r = records.get(i);
            seqs[i] = r.seq();
            times[i] = r.recordedAt().toString();
            actors[i] = r.actor();
            actions[i] = r.action();
            subjects[i] = r.subject();
            sources[i] = r.sourceAddress();
            outcomes[i] = r.outcome();
            details[i] = AuditJsonLines.detailsJson(r.details());
            prevHashes[i] = "\\x" + r.prevHash().hex();
            hashes[i] = "\\x" + r.hash().hex();
        }
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO audit_records (seq, recorded_at, actor, "
                + "action, subject, source_address, outcome, details, prev_hash, hash) SELECT * FROM unnest(?::bigint[], "
                + "?::text[]::timestamptz[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[]::jsonb[], "
                + "?::text[]::bytea[], ?::text[]::bytea[])")) {
            insert.setArray(1, connection.createArrayOf("bigint", seqs));
            insert.setArray(2, connection.createArrayOf("text", times));
            insert.setArray(3, connection.createArrayOf("text", actors));
            insert.setArray(4, connection.createArrayOf("text", actions));
            insert.setArray(5, connection.createArrayOf("text", subjects));
            insert.setArray(6, connection.createArrayOf("text", sources));
            insert.setArray(7, connection.createArrayOf("text", outcomes));
            insert.setArray(8, connection.createArrayOf("text", details));
            insert.setArray(9, connection.createArrayOf("text", prevHashes));
            insert.setArray(10, connection.createArrayOf("text", hashes));
            if (insert.executeUpdate() != n) {
                throw new IllegalStateException("the audit batch was not inserted whole");
            }
        }
    }

    private record Queued(AuditEvent event, Instant recordedAt, CompletableFuture<AuditRecord> result) {
    }
}
