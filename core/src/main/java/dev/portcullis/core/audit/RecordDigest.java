package dev.portcullis.core.audit;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The hash of a record, byte for byte, so that an auditor can re-implement it:
 * <pre>
 * hash     = SHA-256( prev_hash (32 bytes) || encoding )
 * encoding = 0x01                                  format version
 *         || int64  seq                            big-endian
 *         || int64  recorded_at                    microseconds since 1970-01-01T00:00:00Z, big-endian
 *         || str(actor) || str(action) || str(subject)
 *         || opt(source_address)
 *         || str(outcome)                          SUCCESS, FAILURE or DENIED
 *         || uint32 n || n × ( str(key) || str(value) )   details, keys ascending (ASCII)
 * str(s)   = uint32 length of UTF-8(s), big-endian || UTF-8(s)
 * opt(s)   = 0xFFFFFFFF when absent, else str(s)
 * </pre>
 * The first record follows 32 zero bytes ({@link AuditHash#GENESIS}); after pruning, the first
 * remaining record follows the last hash of the newest archived segment.
 * <p>
 * Not thread-safe: one instance per thread, reused for every record (the buffer grows once).
 */
final class RecordDigest {

    static final byte FORMAT = 1;
    private static final int ABSENT = 0xFFFFFFFF;

    private final MessageDigest sha256;
    private byte[] buffer = new byte[1024];
    private int length;

    RecordDigest() {
        sha256 = sha256();
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    AuditHash hash(AuditHash prev, long seq, Instant recordedAt, String actor, String action, String subject,
                   String sourceAddress, String outcome, Map<String, String> details) {
        length = 0;
        append(prev.view());
        appendByte(FORMAT);
        appendLong(seq);
        appendLong(micros(recordedAt));
        appendString(actor);
        appendString(action);
        appendString(subject);
        if (sourceAddress == null) {
            appendInt(ABSENT);
        } else {
            appendString(sourceAddress);
        }
        appendString(outcome);
        appendInt(details.size());
        SortedMap<String, String> sorted = details instanceof SortedMap<String, String> s && s.comparator() == null
                ? s : new TreeMap<>(details);
        for (Map.Entry<String, String> detail : sorted.entrySet()) {
            appendString(detail.getKey());
            appendString(detail.getValue());
        }
        sha256.update(buffer, 0, length);
        return AuditHash.wrap(sha256.digest());
    }

    AuditHash hash(AuditHash prev, AuditRecord r) {
        return hash(prev, r.seq(), r.recordedAt(), r.actor(), r.action(), r.subject(), r.sourceAddress(), r.outcome(),
                r.details());
    }

    /** Microseconds since the epoch: the precision PostgreSQL keeps, so what is hashed is what reads back. */
    static long micros(Instant instant) {
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
    }

    private void ensure(int more) {
        if (length + more > buffer.length) {
            byte[] bigger = new byte[Math.max(buffer.length * 2, length + more)];
            System.arraycopy(buffer, 0, bigger, 0, length);
            buffer = bigger;
        }
    }

    private void append(byte[] bytes) {
        ensure(bytes.length);
        System.arraycopy(bytes, 0, buffer, length, bytes.length);
        length += bytes.length;
    }

    private void appendByte(byte b) {
        ensure(1);
        buffer[length++] = b;
    }

    private void appendInt(int value) {
        ensure(4);
        buffer[length++] = (byte) (value >>> 24);
        buffer[length++] = (byte) (value >>> 16);
        buffer[length++] = (byte) (value >>> 8);
        buffer[length++] = (byte) value;
    }

    private void appendLong(long value) {
        appendInt((int) (value >>> 32));
        appendInt((int) value);
    }

    private void appendString(String s) {
        int n = s.length();
        ensure(4 + n);
        int start = length;
        length += 4;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                // Not ASCII: let the JDK encode it (rare: names and reasons in other scripts).
                length = start;
                byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
                appendInt(utf8.length);
                append(utf8);
                return;
            }
            buffer[length++] = (byte) c;
        }
        int written = length - start - 4;
        buffer[start] = (byte) (written >>> 24);
        buffer[start + 1] = (byte) (written >>> 16);
        buffer[start + 2] = (byte) (written >>> 8);
        buffer[start + 3] = (byte) written;
    }
}
