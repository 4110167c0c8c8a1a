package dev.portcullis.core.audit;

import dev.portcullis.core.audit.AuditVerification.Problem;
import dev.portcullis.core.store.Database;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * Verifies an audit log: the live database, an exported JSON-lines file (offline, with only the
 * public key), or an archived segment with its manifest. Every hash is recomputed, seq continuity
 * and order checked, and every checkpoint's signature verified against the record it covers; the
 * answer names the first broken record. See {@link ChainCheck} for the rules.
 * <p>
 * What a file alone cannot show: that records were cut off exactly after a checkpoint line (the
 * rest is then a valid older export). A verifier that remembers a later checkpoint (from an earlier
 * export, or a syslog collector) passes it as {@link Options#trustedHead()} and catches that too.
 */
public final class AuditVerifier {

    /** Rows per round trip when reading the live database. */
    private static final int FETCH_SIZE = 2_000;
    private static final int BUFFER_BYTES = 1 << 16;

    private AuditVerifier() {
    }

    /**
     * How strict a file verification is.
     *
     * @param requireSignedEnd      records after the last signature are an {@link Problem#UNSIGNED_TAIL} failure
     *                              (on for complete exports, which end with a checkpoint)
     * @param allowUnanchoredStart  a file may start mid-chain without a segment line (a partial export the caller
     *                              vouches for); its first record's prev_hash is then taken on trust
     * @param trustedHead           a checkpoint the verifier obtained elsewhere: the file must reach it and match it
     */
    public record Options(boolean requireSignedEnd, boolean allowUnanchoredStart, AuditCheckpoint trustedHead) {

        /** For complete exports: anchored start, signed end. */
        public static final Options STRICT = new Options(true, false, null);

        public Options withTrustedHead(AuditCheckpoint checkpoint) {
            return new Options(requireSignedEnd, allowUnanchoredStart, checkpoint);
        }
    }

    static Map<String, AuditPublicKey> byId(Collection<AuditPublicKey> keys) {
        Map<String, AuditPublicKey> byId = new HashMap<>();
        keys.forEach(key -> byId.put(key.keyId(), key));
        return byId;
    }

    // ---- files ----------------------------------------------------------------------------------

    /** Verifies an exported JSON-lines file offline. */
    public static AuditVerification verifyFile(Path file, Collection<AuditPublicKey> keys, Options options)
            throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), BUFFER_BYTES)) {
            return verifyStream(in, keys, options);
        }
    }

    /** Verifies an export read from {@code in} (JSON lines, UTF-8). */
    public static AuditVerification verifyStream(InputStream in, Collection<AuditPublicKey> keys, Options options)
            throws IOException {
        ChainCheck check = new ChainCheck(byId(keys));
        AuditCheckpoint head = options.trustedHead();
        if (head != null) {
            AuditPublicKey key = byId(keys).get(head.keyId());
            if (key == null || !head.verifiedBy(key)) {
                check.fail(key == null ? Problem.UNKNOWN_KEY : Problem.BAD_SIGNATURE, head.seq(),
                        "the trusted checkpoint given to the verifier does not verify");
                return check.result(0);
            }
            check.expect(head.seq(), head.hash());
        }
        read(in, check, options.allowUnanchoredStart());
        if (check.reachedExpected()) {
            finishFile(check, options);
        }
        return check.result(0);
    }

    private static void finishFile(ChainCheck check, Options options) {
        if (check.failed() || !options.requireSignedEnd()) {
            return;
        }
        if (check.records() == 0 && check.lastSeq() == 0) {
            check.fail(Problem.TRUNCATED, 1, "the export holds no records");
        } else if (check.lastSignedSeq() < check.lastSeq()) {
            check.fail(Problem.UNSIGNED_TAIL, check.lastSignedSeq() + 1, "records " + (check.lastSignedSeq() + 1) + ".."
                    + check.lastSeq() + " come after the last signed checkpoint: the export may have been cut after them "
                    + "(complete exports end with a checkpoint)");
        }
    }

    /** Feeds every entry of {@code in} to {@code check}; after a failure, reads on only to tell a gap from a reordering. */
    private static void read(InputStream in, ChainCheck check, boolean allowUnanchoredStart) throws IOException {
        try (AuditJsonLines.Reader reader = new AuditJsonLines.Reader(in)) {
            AuditEntry entry;
            while (true) {
                try {
                    entry = reader.next();
                } catch (AuditJsonLines.MalformedLineException e) {
                    check.fail(e.truncated() ? Problem.TRUNCATED : Problem.MALFORMED, check.expectedSeq(), e.getMessage());
                    return;
                }
                if (entry == null || !check.accept(entry, allowUnanchoredStart)) {
                    break;
                }
            }
            if (entry != null) {
                classifyGap(reader, check);
            }
        }
    }

    /** A record reported missing that appears further on was moved, not deleted. */
    private static void classifyGap(AuditJsonLines.Reader reader, ChainCheck check) {
        Problem problem = check.failure().problem();
        if (problem != Problem.MISSING) {
            return;
        }
        long wanted = check.failure().seq();
        try {
            AuditEntry later;
            while ((later = reader.next()) != null) {
                if (later instanceof AuditRecord r && r.seq() == wanted) {
                    check.reclassify(Problem.REORDERED, "record " + wanted + " is out of place: "
                            + check.failure().message());
                    return;
                }
            }
        } catch (IOException e) {
            // the rest is unreadable: keep the first finding
        }
    }

    /**
     * Verifies an archived segment offline: the manifest's signature, the file's SHA-256 against it,
     * the chain inside the file, and that the file holds exactly the records the manifest names.
     */
    public static AuditVerification verifySegment(Path segmentFile, AuditSegment manifest, Collection<AuditPublicKey> keys)
            throws IOException {
        Map<String, AuditPublicKey> byId = byId(keys);
        ChainCheck check = new ChainCheck(byId);
        AuditPublicKey key = byId.get(manifest.keyId());
        if (key == null) {
            check.fail(Problem.UNKNOWN_KEY, manifest.firstSeq(),
                    "the segment manifest is signed by a key not given to the verifier");
            return check.result(0);
        }
        if (!manifest.verifiedBy(key)) {
            check.fail(Problem.BAD_SIGNATURE, manifest.firstSeq(), "the segment manifest's signature does not verify");
            return check.result(0);
        }
        MessageDigest sha256 = RecordDigest.sha256();
        try (InputStream in = new DigestInputStream(new BufferedInputStream(Files.newInputStream(segmentFile), BUFFER_BYTES),
                sha256)) {
            read(in, check, false);
            in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        if (check.failed()) {
            return check.result(0);
        }
        if (!MessageDigest.isEqual(sha256.digest(), manifest.fileSha256())) {
            check.fail(Problem.HASH_MISMATCH, manifest.firstSeq(), "the segment file's SHA-256 is not the one its signed "
                    + "manifest names (" + HexFormat.of().formatHex(manifest.fileSha256()) + ")");
            return check.result(0);
        }
        AuditVerification inFile = check.result(0);
        if (inFile.records() == 0 || inFile.firstSeq() != manifest.firstSeq()) {
            check.fail(Problem.MISSING, manifest.firstSeq(), "the segment file starts at seq " + inFile.firstSeq()
                    + ", its signed manifest at seq " + manifest.firstSeq());
        } else if (!check.firstPrevHash().equals(manifest.prevHash())) {
            check.fail(Problem.CHAIN_BROKEN, manifest.firstSeq(), "the segment file's first record does not follow the "
                    + "hash its signed manifest starts from");
        } else {
            check.trustedEnd(manifest.lastSeq(), manifest.lastHash(), "the signed segment manifest");
        }
        return check.result(0);
    }

    /** Reads a manifest written next to a segment file ({@code <segment>.manifest.json}). */
    public static AuditSegment readManifest(Path manifestFile) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(manifestFile));
             AuditJsonLines.Reader reader = new AuditJsonLines.Reader(in)) {
            AuditEntry entry = reader.next();
            if (!(entry instanceof AuditSegment segment) || reader.next() != null) {
                throw new IOException(manifestFile + " is not a segment manifest");
            }
            return segment;
        }
    }

    // ---- the live database ----------------------------------------------------------------------

    /**
     * Verifies the live database in one consistent snapshot: the archived segments' manifests (signed,
     * each continuing the previous), the records from the newest segment's last hash on, every stored
     * checkpoint (signed, matching its record, none beyond the last record), and the head row.
     * {@code key} should come from the unsealed signing key, not from the database row, so that a
     * replaced key row cannot vouch for a rewritten log.
     */
    public static AuditVerification verifyDatabase(Database database, Collection<AuditPublicKey> keys) {
        return database.inTransaction(connection -> {
            try (Statement isolation = connection.createStatement()) {
                isolation.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
            }
            return verifySnapshot(connection, byId(keys));
        });
    }

    private static AuditVerification verifySnapshot(Connection connection, Map<String, AuditPublicKey> keys)
            throws SQLException {
        ChainCheck check = new ChainCheck(keys);
        if (!checkSegments(connection, check)) {
            return check.result(0);
        }
        long from = check.lastSeq() + 1;
        try (PreparedStatement records = connection.prepareStatement(AuditExporter.SELECT_RECORDS);
             PreparedStatement checkpoints = connection.prepareStatement(AuditExporter.SELECT_CHECKPOINTS)) {
            records.setFetchSize(FETCH_SIZE);
            records.setLong(1, from);
            records.setLong(2, Long.MAX_VALUE);
            checkpoints.setFetchSize(FETCH_SIZE);
            checkpoints.setLong(1, from);
            try (ResultSet rs = records.executeQuery(); ResultSet cs = checkpoints.executeQuery()) {
                AuditCheckpoint nextCheckpoint = AuditExporter.nextCheckpoint(cs);
                while (rs.next()) {
                    AuditRecord record = AuditExporter.record(rs);
                    if (!check.record(record, false)) {
                        return check.result(pending(connection));
                    }
                    while (nextCheckpoint != null && nextCheckpoint.seq() <= record.seq()) {
                        if (!check.checkpoint(nextCheckpoint)) {
                            return check.result(pending(connection));
                        }
                        nextCheckpoint = AuditExporter.nextCheckpoint(cs);
                    }
                }
                if (nextCheckpoint != null) {
                    check.fail(Problem.TRUNCATED, check.lastSeq() + 1, "a checkpoint signed at " + nextCheckpoint.signedAt()
                            + " covers seq " + nextCheckpoint.seq() + " but the records end at seq " + check.lastSeq());
                    return check.result(pending(connection));
                }
            }
        }
        AuditLog.Head head = AuditLog.head(connection);
        if (head.seq() > check.lastSeq()) {
            check.fail(Problem.TRUNCATED, check.lastSeq() + 1, "the chain's head is at seq " + head.seq()
                    + " but the records end at seq " + check.lastSeq());
        } else if (head.seq() < check.lastSeq() || !head.hash().equals(check.lastHash())) {
            check.fail(Problem.HEAD_MISMATCH, head.seq() < check.lastSeq() ? head.seq() + 1 : head.seq(),
                    "the chain's head (seq " + head.seq() + ") disagrees with the last record (seq " + check.lastSeq()
                            + "): records were added or replaced outside the chainer");
        }
        return check.result(pending(connection));
    }

    /** Checks the manifests of archived segments in order and anchors the chain at the newest one. */
    private static boolean checkSegments(Connection connection, ChainCheck check) throws SQLException {
        long expectedFirst = 1;
        AuditHash expectedPrev = AuditHash.GENESIS;
        try (Statement select = connection.createStatement();
             ResultSet rs = select.executeQuery(AuditExporter.SELECT_SEGMENTS + " ORDER BY first_seq")) {
            while (rs.next()) {
                AuditSegment segment = AuditExporter.segment(rs);
                ChainCheck one = new ChainCheck(check.keys());
                if (!one.segment(segment)) {
                    check.fail(one.failure().problem(), one.failure().seq(), one.failure().message());
                    return false;
                }
                if (segment.firstSeq() != expectedFirst || !segment.prevHash().equals(expectedPrev)) {
                    check.fail(Problem.MISSING, expectedFirst, "archived segment " + segment.firstSeq() + ".."
                            + segment.lastSeq() + " does not continue from the one before it (which ends at seq "
                            + (expectedFirst - 1) + ")");
                    return false;
                }
                expectedFirst = segment.lastSeq() + 1;
                expectedPrev = segment.lastHash();
            }
        }
        check.anchor(expectedFirst - 1, expectedPrev, true);
        return true;
    }

    private static long pending(Connection connection) throws SQLException {
        try (Statement select = connection.createStatement();
             ResultSet rs = select.executeQuery("SELECT count(*) FROM audit_pending")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
