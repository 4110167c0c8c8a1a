package dev.portcullis.core.audit;

import java.util.Optional;

/**
 * The outcome of verifying a log (the live database, an export, an archived segment): how much was
 * checked and, if it is not intact, the first problem found with the seq it concerns.
 *
 * @param records         records whose hash was recomputed and matched
 * @param firstSeq        first record checked (0 if none)
 * @param lastSeq         last record checked (0 if none)
 * @param lastHash        hash of the last record checked, or of the anchor if none
 * @param checkpoints     signed checkpoints whose signature and hash were checked
 * @param lastSignedSeq   the last seq covered by a verified signature (checkpoint or segment); records after it
 *                        are chained but not yet signed
 * @param pending         events committed but not chained yet (live database only; 0 otherwise)
 */
public record AuditVerification(long records, long firstSeq, long lastSeq, AuditHash lastHash, long checkpoints,
                                long lastSignedSeq, long pending, Optional<Failure> failure) {

    /** What can be wrong with a log. */
    public enum Problem {
        /** A record's content does not hash to its stated hash: it was edited. */
        HASH_MISMATCH,
        /** A record does not follow the previous record's hash: one of the two was replaced or rewritten. */
        CHAIN_BROKEN,
        /** A record is missing (a gap in seq). */
        MISSING,
        /** Records (or a checkpoint) are out of order. */
        REORDERED,
        /** The log ends before what a signature or the head says it holds. */
        TRUNCATED,
        /** Records after the last signature: nothing proves the end was not cut (exports must end signed). */
        UNSIGNED_TAIL,
        /** A checkpoint or segment signature does not verify. */
        BAD_SIGNATURE,
        /** A checkpoint or segment names a key the verifier was not given. */
        UNKNOWN_KEY,
        /** A validly signed checkpoint (or segment) does not match the record it covers: the chain was rewritten. */
        CHECKPOINT_MISMATCH,
        /** The database's head row disagrees with its last record. */
        HEAD_MISMATCH,
        /** The first record continues neither from the start of the log nor from a signed segment. */
        UNANCHORED,
        /** A line is not a well-formed entry. */
        MALFORMED
    }

    /** The first problem: what, at which seq (the first record that cannot be vouched for), and a readable explanation. */
    public record Failure(Problem problem, long seq, String message) {
    }

    public boolean intact() {
        return failure.isEmpty();
    }

    /** One line for people: "intact: …" or "BROKEN at seq …". */
    public String summary() {
        if (failure.isPresent()) {
            Failure f = failure.get();
            return "BROKEN at seq " + f.seq() + ": " + f.problem() + ": " + f.message() + " (" + records
                    + " records verified before it)";
        }
        if (records == 0) {
            return "intact: no records" + (pending > 0 ? " (" + pending + " pending)" : "");
        }
        return "intact: " + records + " records, seq " + firstSeq + ".." + lastSeq + ", " + checkpoints
                + " checkpoints, signed through seq " + lastSignedSeq + (lastSignedSeq < lastSeq
                ? " (" + (lastSeq - lastSignedSeq) + " newer records not signed yet)" : "")
                + (pending > 0 ? ", " + pending + " pending" : "") + ", head " + lastHash;
    }
}
