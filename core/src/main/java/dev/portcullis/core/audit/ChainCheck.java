package dev.portcullis.core.audit;

import dev.portcullis.core.audit.AuditVerification.Failure;
import dev.portcullis.core.audit.AuditVerification.Problem;
import java.util.Map;
import java.util.Optional;

/**
 * The rules every verification applies, fed one entry at a time in log order: each record must
 * have the next seq, follow the previous hash and hash to its stated hash; each checkpoint must be
 * signed by a known key and match the record it directly follows; a segment may only come first,
 * as the signed anchor the records continue from. Stops at the first failure. Not thread-safe.
 */
final class ChainCheck {

    private final Map<String, AuditPublicKey> keys;
    private final RecordDigest digest = new RecordDigest();

    private boolean anchored;
    private boolean started;
    private long anchorSeq;
    private long lastSeq;
    private AuditHash lastHash = AuditHash.GENESIS;
    private AuditHash firstPrevHash;
    private long records;
    private long firstSeq;
    private long checkpoints;
    private long lastSignedSeq;
    private Failure failure;
    /** A signed checkpoint obtained elsewhere that the records must reach and match (0: none). */
    private long trustedSeq;
    private AuditHash trustedHash;

    ChainCheck(Map<String, AuditPublicKey> keys) {
        this.keys = keys;
    }

    /**
     * Starts the chain after {@code seq} with hash {@code hash} (0 and genesis for a whole log); {@code signed} if a
     * signature vouches for it.
     */
    void anchor(long seq, AuditHash hash, boolean signed) {
        anchored = true;
        anchorSeq = seq;
        lastSeq = seq;
        lastHash = hash;
        lastSignedSeq = signed || seq == 0 ? seq : 0;
    }

    Map<String, AuditPublicKey> keys() {
        return keys;
    }

    /** What the first record followed (null before the first record). */
    AuditHash firstPrevHash() {
        return firstPrevHash;
    }

    /** Requires the records to reach {@code seq} and have {@code hash} there (a checkpoint the verifier already trusts). */
    void expect(long seq, AuditHash hash) {
        trustedSeq = seq;
        trustedHash = hash;
    }

    /** At the end of the input: fails if the records stop short of the expected checkpoint. */
    boolean reachedExpected() {
        if (failure == null && trustedSeq > lastSeq) {
            return fail(Problem.TRUNCATED, lastSeq + 1, "a signed checkpoint covers seq " + trustedSeq
                    + " but the records end at seq " + lastSeq);
        }
        return failure == null;
    }

    boolean failed() {
        return failure != null;
    }

    Failure failure() {
        return failure;
    }

    long lastSeq() {
        return lastSeq;
    }

    AuditHash lastHash() {
        return lastHash;
    }

    long lastSignedSeq() {
        return lastSignedSeq;
    }

    long records() {
        return records;
    }

    /** The seq the next record must have. */
    long expectedSeq() {
        return lastSeq + 1;
    }

    boolean fail(Problem problem, long seq, String message) {
        if (failure == null) {
            failure = new Failure(problem, seq, message);
        }
        return false;
    }

    boolean accept(AuditEntry entry, boolean allowUnanchoredStart) {
        if (failure != null) {
            return false;
        }
        if (entry instanceof AuditRecord r) {
            return record(r, allowUnanchoredStart);
        }
        if (entry instanceof AuditCheckpoint c) {
            return checkpoint(c);
        }
        return segment((AuditSegment) entry);
    }

    boolean segment(AuditSegment s) {
        if (started || anchored) {
            return fail(Problem.MALFORMED, expectedSeq(), "a segment line may only come first (the anchor an export "
                    + "continues from)");
        }
        if (!signatureOk(s.keyId(), s.lastSeq(), s::verifiedBy, "segment " + s.firstSeq() + ".." + s.lastSeq())) {
            return false;
        }
        if (s.recordCount() != s.lastSeq() - s.firstSeq() + 1 || s.firstSeq() < 1) {
            return fail(Problem.MALFORMED, s.lastSeq() + 1, "segment manifest counts do not add up");
        }
        anchor(s.lastSeq(), s.lastHash(), true);
        return true;
    }

    boolean record(AuditRecord r, boolean allowUnanchoredStart) {
        if (!started && !anchored) {
            if (r.seq() == 1 || !allowUnanchoredStart) {
                anchor(0, AuditHash.GENESIS, false);
            } else {
                // a partial export whose start the caller vouches for
                anchor(r.seq() - 1, r.prevHash(), false);
            }
        }
        long expected = expectedSeq();
        if (!started && r.seq() != expected) {
            return fail(r.seq() > expected ? Problem.MISSING : Problem.REORDERED, expected, anchorSeq == 0
                    ? "the first record has seq " + r.seq() + ", not 1, and no signed segment line precedes it: records "
                    + "before it are missing (or this is a partial export)"
                    : "the first record has seq " + r.seq() + " but the signed segment before it ends at seq " + anchorSeq);
        }
        if (r.seq() != expected) {
            return fail(r.seq() > expected ? Problem.MISSING : Problem.REORDERED, expected,
                    "expected seq " + expected + ", found " + r.seq());
        }
        if (!r.prevHash().equals(lastHash)) {
            return fail(started || anchorSeq > 0 ? Problem.CHAIN_BROKEN : Problem.UNANCHORED, r.seq(),
                    started ? "record " + r.seq() + " does not follow the hash of record " + lastSeq
                            + " (one of the two was replaced or rewritten)"
                            : "record " + r.seq() + " does not follow " + (anchorSeq == 0 ? "the start of the log"
                            : "the signed segment ending at " + anchorSeq));
        }
        AuditHash computed = digest.hash(lastHash, r);
        if (!computed.equals(r.hash())) {
            return fail(Problem.HASH_MISMATCH, r.seq(), "record " + r.seq() + " does not hash to its stated hash "
                    + "(its content was edited)");
        }
        if (!started) {
            firstSeq = r.seq();
            firstPrevHash = r.prevHash();
            started = true;
        }
        records++;
        lastSeq = r.seq();
        lastHash = r.hash();
        if (r.seq() == trustedSeq) {
            if (!r.hash().equals(trustedHash)) {
                return fail(Problem.CHECKPOINT_MISMATCH, r.seq(), "record " + r.seq() + " does not have the hash the "
                        + "trusted checkpoint states: records up to seq " + r.seq() + " were rewritten");
            }
            lastSignedSeq = Math.max(lastSignedSeq, r.seq());
        }
        return true;
    }

    boolean checkpoint(AuditCheckpoint c) {
        if (!started && !anchored) {
            return fail(Problem.MALFORMED, 1, "a checkpoint line comes before any record");
        }
        if (!signatureOk(c.keyId(), c.seq(), c::verifiedBy, "checkpoint at seq " + c.seq())) {
            return false;
        }
        if (c.seq() > lastSeq) {
            return fail(Problem.MISSING, lastSeq + 1, "a signed checkpoint covers seq " + c.seq() + " but the records "
                    + "before it end at seq " + lastSeq);
        }
        if (c.seq() < lastSeq) {
            return fail(Problem.REORDERED, c.seq(), "the checkpoint for seq " + c.seq() + " does not directly follow "
                    + "its record");
        }
        if (!c.hash().equals(lastHash)) {
            return fail(Problem.CHECKPOINT_MISMATCH, c.seq(), "record " + c.seq() + " no longer has the hash signed "
                    + "at " + c.signedAt() + ": records up to seq " + c.seq() + " were rewritten");
        }
        checkpoints++;
        lastSignedSeq = c.seq();
        return true;
    }

    /** A signed statement about {@code seq} from the end of the input (a trusted head, a segment manifest). */
    boolean trustedEnd(long seq, AuditHash hash, String what) {
        if (failure != null) {
            return false;
        }
        if (seq > lastSeq) {
            return fail(Problem.TRUNCATED, lastSeq + 1, what + " covers seq " + seq + " but the records end at seq "
                    + lastSeq);
        }
        if (seq < lastSeq) {
            return fail(Problem.UNSIGNED_TAIL, seq + 1, what + " ends at seq " + seq + " but records continue to seq "
                    + lastSeq);
        }
        if (!hash.equals(lastHash)) {
            return fail(Problem.CHECKPOINT_MISMATCH, seq, "record " + seq + " does not have the hash " + what + " states");
        }
        lastSignedSeq = seq;
        return true;
    }

    private boolean signatureOk(String keyId, long seq, java.util.function.Predicate<AuditPublicKey> verifiedBy,
                                String what) {
        AuditPublicKey key = keys.get(keyId);
        if (key == null) {
            return fail(Problem.UNKNOWN_KEY, seq, what + " is signed by key " + printable(keyId) + ", not a key given "
                    + "to the verifier");
        }
        if (!verifiedBy.test(key)) {
            return fail(Problem.BAD_SIGNATURE, seq, "the signature of the " + what + " does not verify");
        }
        return true;
    }

    private static String printable(String keyId) {
        String cut = keyId.length() > 32 ? keyId.substring(0, 32) + "…" : keyId;
        return cut.replaceAll("[^0-9A-Za-z]", "?");
    }

    AuditVerification result(long pending) {
        return new AuditVerification(records, started ? firstSeq : 0, started ? lastSeq : 0, lastHash, checkpoints,
                lastSignedSeq, pending, Optional.ofNullable(failure));
    }

    /** Changes the kind of the failure (a MISSING seq that turned up later is a reordering). */
    void reclassify(Problem problem, String message) {
        failure = new Failure(problem, failure.seq(), message);
    }
}
