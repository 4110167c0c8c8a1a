package dev.portcullis.core.audit;

import dev.portcullis.core.store.Database;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prunes old records into signed archive segments. {@link #prune} verifies the records it is about
 * to archive (it never seals a broken chain), writes them to a JSON-lines segment file (preceded by
 * the previous segment's manifest, so each file verifies on its own), makes the file durable, signs
 * a manifest (first and last seq, the hash before and the last hash, count, file name and SHA-256),
 * and then, in one transaction, stores the manifest and deletes the archived records and their
 * checkpoints. Verification of what remains starts from the newest manifest's last hash.
 */
public final class AuditRetention {

    private static final Logger LOG = LoggerFactory.getLogger(AuditRetention.class);
    private static final FileAttribute<?> OWNER_ONLY_FILE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private static final FileAttribute<?> OWNER_ONLY_DIRECTORY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    /** Suffix of the manifest written next to each segment file. */
    public static final String MANIFEST_SUFFIX = ".manifest.json";

    private final Database database;
    private final AuditLog log;
    private final AuditSigningKey key;
    private final Clock clock;

    public AuditRetention(Database database, AuditLog log, AuditSigningKey key, Clock clock) {
        this.database = database;
        this.log = log;
        this.key = key;
        this.clock = clock;
    }

    /** The segment file name for records {@code first..last}: sortable, one per range. */
    static String fileName(long firstSeq, long lastSeq) {
        return String.format("audit-%012d-%012d.jsonl", firstSeq, lastSeq);
    }

    /**
     * Archives every live record up to {@code upToSeq} (at most the head) into {@code archiveDir} and
     * deletes them from the database. Empty if nothing is left to archive up to there.
     *
     * @throws IllegalStateException if the records to archive do not verify (nothing is archived or deleted)
     */
    public Optional<AuditSegment> prune(long upToSeq, Path archiveDir) throws IOException {
        log.sync();
        Path directory = archiveDirectory(archiveDir);
        try {
            return database.inTransaction(connection -> pruneIn(connection, upToSeq, directory));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private Optional<AuditSegment> pruneIn(Connection connection, long upToSeq, Path directory) throws SQLException {
        try {
            try (Statement lock = connection.createStatement()) {
                // Serialises prunes (core instances, operators) without blocking readers or the chainer.
                lock.execute("LOCK TABLE audit_archive_segments IN SHARE ROW EXCLUSIVE MODE");
            }
            long archived = AuditCheckpointer.archivedThrough(connection);
            long firstSeq = archived + 1;
            long lastSeq = Math.min(upToSeq, AuditLog.head(connection).seq());
            if (lastSeq < firstSeq) {
                return Optional.empty();
            }
            String name = fileName(firstSeq, lastSeq);
            Path temporary = directory.resolve("." + name + ".tmp");
            ChainCheck check = new ChainCheck(AuditVerifier.byId(java.util.List.of(key.publicKey())));
            MessageDigest sha256 = RecordDigest.sha256();
            try {
                Files.deleteIfExists(temporary);
                Files.createFile(temporary, OWNER_ONLY_FILE);
                try (OutputStream file = Files.newOutputStream(temporary, StandardOpenOption.WRITE);
                     DigestOutputStream out = new DigestOutputStream(new BufferedOutputStream(file, 1 << 16), sha256)) {
                    StringBuilder line = new StringBuilder(1024);
                    AuditExporter.export(connection, firstSeq, lastSeq - firstSeq + 1, entry -> {
                        if (check.accept(entry, false)) {
                            line.setLength(0);
                            AuditJsonLines.write(entry, line);
                            out.write(line.toString().getBytes(StandardCharsets.UTF_8));
                        }
                    });
                }
                if (!check.failed() && check.lastSeq() != lastSeq) {
                    check.fail(AuditVerification.Problem.TRUNCATED, check.lastSeq() + 1, "the records end at seq "
                            + check.lastSeq() + " but the head is at " + lastSeq);
                }
                if (check.failed()) {
                    throw new IllegalStateException("refusing to archive a broken audit log: "
                            + check.result(0).summary());
                }
                force(temporary);
                moveIntoPlace(temporary, directory.resolve(name));
            } finally {
                Files.deleteIfExists(temporary);
            }
            AuditHash prevHash = archived == 0 ? AuditHash.GENESIS : check.firstPrevHash();
            AuditSegment segment = AuditSegment.sign(firstSeq, lastSeq, prevHash, check.lastHash(), clock.instant(),
                    name, sha256.digest(), key);
            writeManifest(directory, segment);
            store(connection, segment);
            return Optional.of(segment);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void store(Connection connection, AuditSegment segment) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO audit_archive_segments (first_seq, "
                + "last_seq, prev_hash, last_hash, record_count, sealed_at, file_name, file_sha256, key_id, signature) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            insert.setLong(1, segment.firstSeq());
            insert.setLong(2, segment.lastSeq());
            insert.setBytes(3, segment.prevHash().view());
            insert.setBytes(4, segment.lastHash().view());
            insert.setLong(5, segment.recordCount());
            insert.setObject(6, Database.timestamp(segment.sealedAt()));
            insert.setString(7, segment.fileName());
            insert.setBytes(8, segment.fileSha256());
            insert.setString(9, segment.keyId());
            insert.setBytes(10, segment.signature());
            insert.executeUpdate();
        }
        try (PreparedStatement delete = connection.prepareStatement(
                "DELETE FROM audit_records WHERE seq BETWEEN ? AND ?")) {
            delete.setLong(1, segment.firstSeq());
            delete.setLong(2, segment.lastSeq());
            if (delete.executeUpdate() != segment.recordCount()) {
                throw new IllegalStateException("audit records changed while they were archived; nothing was deleted");
            }
        }
        try (PreparedStatement delete = connection.prepareStatement("DELETE FROM audit_checkpoints WHERE seq <= ?")) {
            delete.setLong(1, segment.lastSeq());
            delete.executeUpdate();
        }
        LOG.info("archived audit records {}..{} into {} and deleted them from the database", segment.firstSeq(),
                segment.lastSeq(), segment.fileName());
    }

    private static void writeManifest(Path directory, AuditSegment segment) {
        Path manifest = directory.resolve(segment.fileName() + MANIFEST_SUFFIX);
        Path temporary = directory.resolve("." + segment.fileName() + MANIFEST_SUFFIX + ".tmp");
        try {
            Files.deleteIfExists(temporary);
            Files.createFile(temporary, OWNER_ONLY_FILE);
            Files.writeString(temporary, AuditJsonLines.line(segment), StandardCharsets.UTF_8, StandardOpenOption.WRITE);
            force(temporary);
            moveIntoPlace(temporary, manifest);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException ignored) {
                // owner-only and rewritten by the next prune of the same range
            }
        }
    }

    private static Path archiveDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Path parent = dir.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.createDirectory(dir, posix() ? new FileAttribute<?>[] {OWNER_ONLY_DIRECTORY} : new FileAttribute<?>[0]);
        }
        return dir;
    }

    private static boolean posix() {
        return FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    }

    private static void force(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
    }

    /** Atomic rename, then the directory entry made durable, so a crash leaves the whole file or none. */
    private static void moveIntoPlace(Path temporary, Path target) throws IOException {
        try {
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
        }
        try (FileChannel dir = FileChannel.open(target.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException ignored) {
            // not every platform can sync a directory; the file itself is already durable
        }
    }
}
