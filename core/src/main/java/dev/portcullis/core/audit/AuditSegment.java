package dev.portcullis.core.audit;

import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The signed manifest of an archived (pruned) run of records {@code firstSeq..lastSeq}: the hash
 * before it, its last hash, how many records, and the name and SHA-256 of the JSON-lines file that
 * holds them. The live chain continues from {@code lastHash}; the file verifies offline against it.
 * The signature (Ed25519) covers:
 * <pre>
 * "portcullis-audit-segment-v1" || 0x00 || int64 first_seq || int64 last_seq || prev_hash (32)
 *     || last_hash (32) || int64 record_count || int64 sealed_at (microseconds since the epoch)
 *     || uint32 len || UTF-8 file_name || file_sha256 (32) || uint32 len || UTF-8 key_id
 * </pre>
 */
public record AuditSegment(long firstSeq, long lastSeq, AuditHash prevHash, AuditHash lastHash, long recordCount,
                           Instant sealedAt, String fileName, byte[] fileSha256, String keyId, byte[] signature)
        implements AuditEntry {

    static final String DOMAIN = "portcullis-audit-segment-v1";

    public AuditSegment {
        Objects.requireNonNull(prevHash, "prevHash");
        Objects.requireNonNull(lastHash, "lastHash");
        Objects.requireNonNull(sealedAt, "sealedAt");
        Objects.requireNonNull(fileName, "fileName");
        Objects.requireNonNull(keyId, "keyId");
        fileSha256 = Objects.requireNonNull(fileSha256, "fileSha256").clone();
        signature = Objects.requireNonNull(signature, "signature").clone();
    }

    @Override
    public long seq() {
        return lastSeq;
    }

    /** What the signature covers. */
    public static byte[] signedMessage(long firstSeq, long lastSeq, AuditHash prevHash, AuditHash lastHash,
                                       long recordCount, Instant sealedAt, String fileName, byte[] fileSha256,
                                       String keyId) {
        return new SignedMessage(DOMAIN).int64(firstSeq).int64(lastSeq).hash(prevHash).hash(lastHash).int64(recordCount)
                .instant(sealedAt).text(fileName).bytes32(fileSha256).text(keyId).bytes();
    }

    static AuditSegment sign(long firstSeq, long lastSeq, AuditHash prevHash, AuditHash lastHash, Instant sealedAt,
                             String fileName, byte[] fileSha256, AuditSigningKey key) {
        Instant at = AuditClock.micros(sealedAt);
        long count = lastSeq - firstSeq + 1;
        byte[] signature = key.sign(signedMessage(firstSeq, lastSeq, prevHash, lastHash, count, at, fileName, fileSha256,
                key.keyId()));
        return new AuditSegment(firstSeq, lastSeq, prevHash, lastHash, count, at, fileName, fileSha256, key.keyId(),
                signature);
    }

    /** True if {@code key} signed exactly this manifest. */
    public boolean verifiedBy(AuditPublicKey key) {
        return key.keyId().equals(keyId) && key.verify(signedMessage(firstSeq, lastSeq, prevHash, lastHash, recordCount,
                sealedAt, fileName, fileSha256, keyId), signature);
    }

    @Override
    public byte[] fileSha256() {
        return fileSha256.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AuditSegment other && firstSeq == other.firstSeq && lastSeq == other.lastSeq
                && prevHash.equals(other.prevHash) && lastHash.equals(other.lastHash) && recordCount == other.recordCount
                && sealedAt.equals(other.sealedAt) && fileName.equals(other.fileName)
                && Arrays.equals(fileSha256, other.fileSha256) && keyId.equals(other.keyId)
                && Arrays.equals(signature, other.signature);
    }

    @Override
    public int hashCode() {
        return Objects.hash(firstSeq, lastSeq, lastHash, fileName, Arrays.hashCode(signature));
    }

    @Override
    public String toString() {
        return "AuditSegment[" + firstSeq + ".." + lastSeq + ", lastHash=" + lastHash + ", file=" + fileName
                + ", sha256=" + HexFormat.of().formatHex(fileSha256) + ", keyId=" + keyId + "]";
    }
}
