/**
 * The tamper-evident audit log: security events appended inside the transaction of the change
 * they describe, hash-chained (SHA-256) without gaps, pinned by periodic Ed25519-signed
 * checkpoints under a key sealed with the master key, exportable as JSON lines and RFC 5424
 * syslog, verifiable offline with the public key alone, and pruned into signed archive segments
 * without breaking verification of what remains. The byte-exact formats an auditor needs to
 * re-implement verification are written down in {@link dev.portcullis.core.audit.RecordDigest}
 * (records), {@link dev.portcullis.core.audit.AuditCheckpoint} and
 * {@link dev.portcullis.core.audit.AuditSegment} (signed messages).
 */
package dev.portcullis.core.audit;
