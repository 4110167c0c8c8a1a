package dev.portcullis.core.audit;

import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A signed statement "the chain's record {@code seq} has hash {@code hash}", made by core's audit
 * key {@code keyId} at {@code signedAt}. Records up to {@code seq} cannot be edited, removed or
 * rewritten without this signature failing or no longer matching. The signature (Ed25519) covers:
 * <pre>
 * "portcullis-audit-checkpoint-v1" || 0x00 || int64 seq || hash (32 bytes)
 *     || int64 signed_at (microseconds since the epoch) || uint32 len || UTF-8 key_id
 * </pre>
 */
public record AuditCheckpoint(long seq, AuditHash hash, Instant signedAt, String keyId, byte[] signature)
        implements AuditEntry {

    static final String DOMAIN = "portcullis-audit-checkpoint-v1";
    public static final int SIGNATURE_BYTES = 64;

    public AuditCheckpoint {
        Objects.requireNonNull(hash, "hash");
        Objects.requireNonNull(signedAt, "signedAt");
        Objects.requireNonNull(keyId, "keyId");
        signature = Objects.requireNonNull(signature, "signature").clone();
    }

    /** What the signature covers. */
    public static byte[] signedMessage(long seq, AuditHash hash, Instant signedAt, String keyId) {
        return new SignedMessage(DOMAIN).int64(seq).hash(hash).instant(signedAt).text(keyId).bytes();
    }

    static AuditCheckpoint sign(long seq, AuditHash hash, Instant signedAt, AuditSigningKey key) {
        Instant at = AuditClock.micros(signedAt);
        return new AuditCheckpoint(seq, hash, at, key.keyId(), key.sign(signedMessage(seq, hash, at, key.keyId())));
    }

    /** True if {@code key} signed exactly this checkpoint. */
    public boolean verifiedBy(AuditPublicKey key) {
        return key.keyId().equals(keyId) && key.verify(signedMessage(seq, hash, signedAt, keyId), signature);
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AuditCheckpoint other && seq == other.seq && hash.equals(other.hash)
                && signedAt.equals(other.signedAt) && keyId.equals(other.keyId) && Arrays.equals(signature, other.signature);
    }

    @Override
    public int hashCode() {
        return Objects.hash(seq, hash, signedAt, keyId, Arrays.hashCode(signature));
    }

    @Override
    public String toString() {
        return "AuditCheckpoint[seq=" + seq + ", hash=" + hash + ", signedAt=" + signedAt + ", keyId=" + keyId
                + ", signature=" + HexFormat.of().formatHex(signature) + "]";
    }
}
