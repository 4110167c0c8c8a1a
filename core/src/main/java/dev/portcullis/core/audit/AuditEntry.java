package dev.portcullis.core.audit;

/**
 * One line of an exported log: a chained {@link AuditRecord}, a signed {@link AuditCheckpoint} of the
 * chain's head, or the signed manifest of the archived {@link AuditSegment} the exported chain continues from.
 */
public sealed interface AuditEntry permits AuditRecord, AuditCheckpoint, AuditSegment {

    /** The chain position this entry is about (a segment: its last record). */
    long seq();
}
