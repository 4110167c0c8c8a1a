package dev.portcullis.core.audit;

import java.util.Arrays;
import java.util.HexFormat;

/** A SHA-256 value of the audit chain: a record's hash or the hash it follows. Not secret; shown as hex. */
public final class AuditHash {

    public static final int BYTES = 32;
    /** What the first record of a log follows: 32 zero bytes. */
    public static final AuditHash GENESIS = new AuditHash(new byte[BYTES]);
    private static final HexFormat HEX = HexFormat.of();

    private final byte[] bytes;

    private AuditHash(byte[] bytes) {
        this.bytes = bytes;
    }

    public static AuditHash of(byte[] bytes) {
        if (bytes == null || bytes.length != BYTES) {
            throw new IllegalArgumentException("an audit hash is " + BYTES + " bytes");
        }
        return new AuditHash(bytes.clone());
    }

    /** Parses 64 lower- or upper-case hex digits. */
    public static AuditHash fromHex(String hex) {
        if (hex == null || hex.length() != 2 * BYTES) {
            throw new IllegalArgumentException("an audit hash is " + 2 * BYTES + " hex digits");
        }
        return new AuditHash(HEX.parseHex(hex));
    }

    /** Wraps a digest this package just computed (no copy). */
    static AuditHash wrap(byte[] digest) {
        return new AuditHash(digest);
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    /** For digest and signature input without a copy; callers in this package never modify it. */
    byte[] view() {
        return bytes;
    }

    public String hex() {
        return HEX.formatHex(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AuditHash other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return hex();
    }
}
