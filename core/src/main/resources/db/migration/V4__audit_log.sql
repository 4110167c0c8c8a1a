-- The tamper-evident audit log (package dev.portcullis.core.audit).
--
-- audit_records is a hash chain: hash = SHA-256(prev_hash || canonical encoding of the record),
-- seq strictly increasing without gaps. Signed checkpoints (Ed25519) pin the head now and then;
-- the signing key is sealed under the master key, which lives outside the database, so whoever
-- can write these tables can break the chain but cannot re-sign it.
--
-- Events are appended inside the transaction of the change they describe, into audit_pending;
-- one chainer (under the audit_head row lock) moves committed pending events into the chain in
-- batches. A rolled-back transaction leaves no pending row and so no record and no gap.
-- Lengths below mirror the bounds in AuditEvent; they are a second line, not the first.

CREATE TABLE audit_head (
    id    smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),  -- exactly one head
    seq   bigint   NOT NULL CHECK (seq >= 0),             -- last chained record (0: none yet)
    hash  bytea    NOT NULL CHECK (octet_length(hash) = 32)  -- hash at seq; 32 zero bytes before the first record
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'));

CREATE TABLE audit_pending (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- chaining order, not the chain's seq
    recorded_at     timestamptz NOT NULL,
    actor           text        NOT NULL CHECK (char_length(actor) BETWEEN 1 AND 128),
    action          text        NOT NULL CHECK (char_length(action) BETWEEN 1 AND 64),
    subject         text        NOT NULL CHECK (char_length(subject) <= 256),
    source_address  text        CHECK (char_length(source_address) <= 64),
    outcome         text        NOT NULL CHECK (outcome IN ('SUCCESS', 'FAILURE', 'DENIED')),
    details         jsonb       NOT NULL CHECK (jsonb_typeof(details) = 'object')
);

CREATE TABLE audit_records (
    seq             bigint      PRIMARY KEY CHECK (seq >= 1),
    recorded_at     timestamptz NOT NULL,
    actor           text        NOT NULL,
    action          text        NOT NULL,
    subject         text        NOT NULL,
    source_address  text,
    outcome         text        NOT NULL,
    details         jsonb       NOT NULL,  -- string values only; the hash covers keys and values, not jsonb's layout
    prev_hash       bytea       NOT NULL CHECK (octet_length(prev_hash) = 32),
    hash            bytea       NOT NULL CHECK (octet_length(hash) = 32)
);
CREATE INDEX audit_records_recorded_at ON audit_records (recorded_at);

CREATE TABLE audit_signing_key (
    key_id              text        PRIMARY KEY CHECK (key_id ~ '^[0-9a-f]{16}$'),  -- SHA-256 of the public key, first 8 bytes
    public_key          bytea       NOT NULL,  -- X.509 SubjectPublicKeyInfo (DER) of the Ed25519 key
    sealed_private_key  bytea       NOT NULL,  -- PKCS#8, AES-256-GCM under the master key (purpose "audit-signing-key")
    created_at          timestamptz NOT NULL,
    is_current          boolean     NOT NULL DEFAULT true
);
-- Exactly one current key (older keys stay, so that their checkpoints still verify).
CREATE UNIQUE INDEX audit_signing_key_one_current ON audit_signing_key (is_current) WHERE is_current;

CREATE TABLE audit_checkpoints (
    seq        bigint      PRIMARY KEY CHECK (seq >= 1),  -- the last record the checkpoint covers
    hash       bytea       NOT NULL CHECK (octet_length(hash) = 32),  -- that record's hash
    signed_at  timestamptz NOT NULL,
    key_id     text        NOT NULL,
    signature  bytea       NOT NULL CHECK (octet_length(signature) = 64)  -- Ed25519
);

CREATE TABLE audit_archive_segments (
    first_seq     bigint      PRIMARY KEY CHECK (first_seq >= 1),
    last_seq      bigint      NOT NULL UNIQUE CHECK (last_seq >= first_seq),
    prev_hash     bytea       NOT NULL CHECK (octet_length(prev_hash) = 32),  -- hash before first_seq (ties segments together)
    last_hash     bytea       NOT NULL CHECK (octet_length(last_hash) = 32),  -- verification of what remains starts here
    record_count  bigint      NOT NULL CHECK (record_count = last_seq - first_seq + 1),
    sealed_at     timestamptz NOT NULL,
    file_name     text        NOT NULL CHECK (char_length(file_name) BETWEEN 1 AND 255),
    file_sha256   bytea       NOT NULL CHECK (octet_length(file_sha256) = 32),
    key_id        text        NOT NULL,
    signature     bytea       NOT NULL CHECK (octet_length(signature) = 64)  -- Ed25519 over the manifest
);
