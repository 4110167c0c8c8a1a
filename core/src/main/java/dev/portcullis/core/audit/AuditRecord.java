package dev.portcullis.core.audit;

import java.time.Instant;
import java.util.Collections;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A record of the chain exactly as stored or exported: nothing is normalised, so that a verifier
 * recomputes the hash over what it read, not over a cleaned-up copy. {@code outcome} is text for
 * the same reason (a tampered export may hold anything). See {@link RecordDigest} for the hash.
 */
public record AuditRecord(long seq, Instant recordedAt, String actor, String action, String subject,
                          String sourceAddress, String outcome, SortedMap<String, String> details,
                          AuditHash prevHash, AuditHash hash) implements AuditEntry {

    public AuditRecord {
        Objects.requireNonNull(recordedAt, "recordedAt");
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(prevHash, "prevHash");
        Objects.requireNonNull(hash, "hash");
        details = Collections.unmodifiableSortedMap(new TreeMap<>(Objects.requireNonNull(details, "details")));
    }

    /** The record that chains {@code event} at {@code seq} after {@code prevHash}. */
    static AuditRecord chain(long seq, Instant recordedAt, AuditEvent event, AuditHash prevHash, RecordDigest digest) {
        AuditHash hash = digest.hash(prevHash, seq, recordedAt, event.actor(), event.action(), event.subject(),
                event.sourceAddress(), event.outcome().name(), event.details());
        return new AuditRecord(seq, recordedAt, event.actor(), event.action(), event.subject(), event.sourceAddress(),
                event.outcome().name(), new TreeMap<>(event.details()), prevHash, hash);
    }
}
