package dev.portcullis.gateway.admission;

import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The admitted peers' public keys, not_after and session ids in the gateway's state directory,
 * so a restarted gateway can evict expired and unknown peers before core reconnects. One line
 * per peer after a version header; written whole to a temporary file and renamed over the old
 * one, so a reader sees the old or the new list, never half of one. Never holds a preshared key.
 */
public final class AdmissionStateFile {

    public static final String FILE_NAME = "admissions";
    private static final String HEADER = "portcullis-gateway-admissions v1";
    /** A line is a base64 key, a millisecond timestamp and a bounded session id; this leaves room. */
    private static final int MAX_LINE_BYTES = 64 + Admission.MAX_SESSION_ID_LENGTH * 4;
    /** The file never legitimately holds more peers than the engine admits. */
    private static final long MAX_FILE_BYTES = HEADER.length() + 1 + (long) Admissions.MAX_PEERS * (MAX_LINE_BYTES + 1);

    private final Path file;

    public AdmissionStateFile(Path stateDirectory) {
        this.file = stateDirectory.resolve(FILE_NAME);
    }

    public Path path() {
        return file;
    }

    /**
     * The recorded peers, or empty if there is no file (first start). A file that is damaged in
     * any way is an error: the caller then trusts no peer on the device (fail closed).
     */
    public Optional<List<AdmissionRecord>> read() throws IOException {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        if (Files.size(file) > MAX_FILE_BYTES) {
            throw new IOException(file + " is larger than any admission list this gateway writes");
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.get(0).equals(HEADER)) {
            throw new IOException(file + " is not an admission list of this gateway version");
        }
        List<AdmissionRecord> records = new ArrayList<>(lines.size() - 1);
        Set<WireGuardPublicKey> seen = new HashSet<>();
        for (int i = 1; i < lines.size(); i++) {
            AdmissionRecord record = parse(lines.get(i), i + 1);
            if (!seen.add(record.publicKey())) {
                throw new IOException(file + " line " + (i + 1) + ": the same peer twice");
            }
            records.add(record);
        }
        return Optional.of(records);
    }

    private AdmissionRecord parse(String line, int number) throws IOException {
        String[] fields = line.split(" ", 3);
        if (line.length() > MAX_LINE_BYTES || fields.length != 3) {
            throw new IOException(file + " line " + number + " is malformed");
        }
        try {
            WireGuardPublicKey key = WireGuardPublicKey.fromBase64(fields[0]);
            Instant notAfter = Instant.ofEpochMilli(Long.parseLong(fields[1]));
            String session = fields[2].equals("-") ? "" : fields[2];
            return new AdmissionRecord(key, notAfter, session);
        } catch (IllegalArgumentException | java.time.DateTimeException e) {
            throw new IOException(file + " line " + number + " is malformed");
        }
    }

    /** Replaces the file with these records (owner-only permissions, flushed to disk before the rename). */
    public void write(Collection<AdmissionRecord> records) throws IOException {
        StringBuilder text = new StringBuilder(HEADER.length() + 1 + records.size() * 80).append(HEADER).append('\n');
        for (AdmissionRecord record : records) {
            text.append(record.publicKey().base64()).append(' ').append(record.notAfter().toEpochMilli()).append(' ')
                    .append(record.sessionId().isEmpty() ? "-" : record.sessionId()).append('\n');
        }
        Path directory = file.toAbsolutePath().getParent();
        Files.createDirectories(directory);
        Path temporary = directory.resolve(FILE_NAME + ".tmp");
        Files.deleteIfExists(temporary);
        try {
            Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(temporary);
        } catch (FileAlreadyExistsException e) {
            throw new IOException("another process is writing " + temporary, e);
        }
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
            var buffer = java.nio.ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        }
        try {
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
