-- Core's state for the segmented control plane: the CA, components, their join tokens and
-- certificates, and admin API tokens. Secrets are never stored in the clear: the CA key is
-- sealed under the master key (which lives outside the database); tokens are stored as SHA-256
-- hashes of 256-bit secrets.

CREATE TABLE ca (
    id               smallint    PRIMARY KEY DEFAULT 1 CHECK (id = 1),  -- exactly one CA
    certificate_der  bytea       NOT NULL,
    sealed_key       bytea       NOT NULL,  -- AES-256-GCM under the master key, never PKCS#8 in the clear
    created_at       timestamptz NOT NULL
);

CREATE TABLE components (
    id                              uuid        PRIMARY KEY,
    name                            text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 63),
    role                            text        NOT NULL CHECK (role IN ('EDGE_PROXY', 'GATEWAY')),
    host                            text        NOT NULL CHECK (char_length(host) BETWEEN 1 AND 253),
    port                            integer     NOT NULL CHECK (port BETWEEN 1 AND 65535),
    state                           text        NOT NULL DEFAULT 'PENDING' CHECK (state IN ('PENDING', 'ADOPTED', 'REMOVED')),
    -- edge-proxy settings
    public_origin                   text,
    requests_per_minute_per_address integer     NOT NULL DEFAULT 120 CHECK (requests_per_minute_per_address BETWEEN 1 AND 100000),
    -- gateway settings
    location                        text,
    -- both
    notice                          text        NOT NULL DEFAULT '' CHECK (char_length(notice) <= 500),
    config_version                  bigint      NOT NULL DEFAULT 1 CHECK (config_version >= 1),
    created_at                      timestamptz NOT NULL,
    updated_at                      timestamptz NOT NULL,
    adopted_at                      timestamptz,
    removed_at                      timestamptz
);
-- A name is unique among components that still exist; a removed name can be registered again.
CREATE UNIQUE INDEX components_live_name ON components (name) WHERE state <> 'REMOVED';

CREATE TABLE join_tokens (
    token_id       text        PRIMARY KEY CHECK (token_id ~ '^[0-9a-f]{16}$'),
    component_id   uuid        NOT NULL REFERENCES components (id),
    secret_hash    bytea       NOT NULL CHECK (octet_length(secret_hash) = 32),  -- SHA-256; the secret itself is never stored
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    used_at        timestamptz,
    superseded_at  timestamptz
);
CREATE INDEX join_tokens_component ON join_tokens (component_id);

CREATE TABLE certificates (
    serial        numeric(60) PRIMARY KEY,
    issue_order   bigint      GENERATED ALWAYS AS IDENTITY,  -- tie-break for certificates issued in the same instant
    component_id  uuid        NOT NULL REFERENCES components (id),
    not_before    timestamptz NOT NULL,
    not_after     timestamptz NOT NULL,
    issued_at     timestamptz NOT NULL,
    revoked_at    timestamptz
);
CREATE INDEX certificates_component ON certificates (component_id, issued_at DESC, issue_order DESC);

CREATE TABLE admin_tokens (
    id            text        PRIMARY KEY CHECK (id ~ '^[0-9a-f]{16}$'),
    name          text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 63),
    token_hash    bytea       NOT NULL CHECK (octet_length(token_hash) = 32),  -- SHA-256 of a 256-bit secret
    created_at    timestamptz NOT NULL,
    revoked_at    timestamptz,
    last_used_at  timestamptz
);
CREATE UNIQUE INDEX admin_tokens_live_name ON admin_tokens (name) WHERE revoked_at IS NULL;
