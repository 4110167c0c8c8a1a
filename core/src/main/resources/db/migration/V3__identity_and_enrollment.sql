-- Identity and enrollment: explicit locations (address pool, DNS, routes, MFA policy, who may
-- reach them), users, groups, devices and their tunnel addresses, one-time invites, enrollment
-- and password-reset sessions, second factors (TOTP, WebAuthn, recovery codes) and reset tokens.
--
-- Secrets are never stored in the clear: invite, reset and session secrets as SHA-256 hashes of
-- 256-bit values; passwords as Argon2id PHC strings; recovery codes as SHA-256 hashes; TOTP
-- secrets sealed (AES-256-GCM) under the master key, which lives outside the database, with a
-- purpose bound to the user so a sealed secret copied into another user's row does not open.
-- Every text column is length-checked: nothing an admin or a browser sends can grow a row
-- without bound.

-- ---- edge proxies: the pin of their public TLS chain ---------------------------------------------

ALTER TABLE components
    -- What an edge-proxy reported in its last Hello: SHA-256 of the DER of the topmost certificate of
    -- the chain its public listener presents (the #ca= pin of invite links). Public, not secret.
    ADD COLUMN public_trust_anchor_sha256       bytea CHECK (public_trust_anchor_sha256 IS NULL
                                                             OR octet_length(public_trust_anchor_sha256) = 32),
    ADD COLUMN public_trust_anchor_reported_at  timestamptz;

-- ---- locations ---------------------------------------------------------------------------------------
-- A location may also exist only implicitly, as before: named by a gateway's settings or an ACL
-- (location_peers and location_acl keep working for such names). A row here makes it explicit:
-- devices get addresses from its pool, and its MFA policy applies. Names follow LocationName.

CREATE TABLE locations (
    name                       text        PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$'),
    -- IPv4 /16 to /30 (at most 65,534 devices; at least 2 host addresses), or IPv6 /64 to /126.
    address_pool               cidr        NOT NULL CHECK (
                                   (family(address_pool) = 4 AND masklen(address_pool) BETWEEN 16 AND 30)
                                   OR (family(address_pool) = 6 AND masklen(address_pool) BETWEEN 64 AND 126)),
    -- DNS servers devices use inside the tunnel (IP literals, canonical text).
    dns                        text[]      NOT NULL DEFAULT '{}' CHECK (cardinality(dns) <= 4
                                   AND char_length(array_to_string(dns, ',')) <= 4 * 40),
    -- Networks behind the gateways that devices route into the tunnel, besides the pool (canonical CIDRs).
    routed_networks            text[]      NOT NULL DEFAULT '{}' CHECK (cardinality(routed_networks) <= 64
                                   AND char_length(array_to_string(routed_networks, ',')) <= 64 * 44),
    -- Second factors this location accepts for a tunnel session: TOTP, WEBAUTHN or both.
    mfa_methods                text[]      NOT NULL CHECK (cardinality(mfa_methods) BETWEEN 1 AND 2
                                   AND mfa_methods <@ ARRAY['TOTP', 'WEBAUTHN']::text[]),
    session_lifetime_seconds   integer     NOT NULL DEFAULT 28800 CHECK (session_lifetime_seconds BETWEEN 60 AND 604800),
    idle_timeout_seconds       integer     NOT NULL DEFAULT 600 CHECK (idle_timeout_seconds BETWEEN 60 AND 86400),
    reauth_on_endpoint_change  boolean     NOT NULL DEFAULT false,
    created_at                 timestamptz NOT NULL,
    updated_at                 timestamptz NOT NULL
);

-- ---- users and groups ------------------------------------------------------------------------------

CREATE TABLE users (
    id             uuid        PRIMARY KEY,
    -- the login: lower-case, safe in logs, URLs, shell commands and TOTP labels
    name           text        NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9._-]{1,63}$'),
    email          text        NOT NULL UNIQUE CHECK (char_length(email) BETWEEN 3 AND 254 AND email = lower(email)
                                   AND email ~ '^[^@[:space:][:cntrl:]]+@[^@[:space:][:cntrl:]]+$'),
    display_name   text        NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 100),
    -- INVITED until enrollment completes; DISABLED users cannot enroll, reset or start sessions
    state          text        NOT NULL CHECK (state IN ('ACTIVE', 'INVITED', 'DISABLED')),
    password_hash  text        CHECK (password_hash IS NULL OR char_length(password_hash) BETWEEN 1 AND 256),
    -- WebAuthn user handle: random, never derived from the name or e-mail address
    user_handle    bytea       NOT NULL UNIQUE CHECK (octet_length(user_handle) = 32),
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    enrolled_at    timestamptz
);

CREATE TABLE groups (
    id          uuid        PRIMARY KEY,
    name        text        NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9._-]{1,63}$'),
    created_at  timestamptz NOT NULL
);

CREATE TABLE group_members (
    group_id  uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

-- Who may reach a location: members of any listed group; no row means every user. A group that
-- restricts a location cannot be deleted (RESTRICT): silently dropping the last row would open the
-- location to everyone.
CREATE TABLE location_groups (
    location  text NOT NULL REFERENCES locations (name) ON DELETE CASCADE,
    group_id  uuid NOT NULL REFERENCES groups (id) ON DELETE RESTRICT,
    PRIMARY KEY (location, group_id)
);
CREATE INDEX location_groups_group ON location_groups (group_id);

-- ---- devices ---------------------------------------------------------------------------------------

CREATE TABLE devices (
    id                    uuid        PRIMARY KEY,
    user_id               uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name                  text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 64),
    kind                  text        NOT NULL CHECK (kind IN ('AGENT', 'CONFIG')),
    -- the public half of the key the device (or the browser) generated; the private half never leaves it
    wireguard_public_key  bytea       NOT NULL UNIQUE CHECK (octet_length(wireguard_public_key) = 32),
    -- agents: DER SubjectPublicKeyInfo of the P-256 device credential generated on the device
    credential_spki       bytea       CHECK (credential_spki IS NULL OR octet_length(credential_spki) BETWEEN 32 AND 256),
    state                 text        NOT NULL CHECK (state IN ('ACTIVE', 'DISABLED')),
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    UNIQUE (user_id, name),
    CHECK ((kind = 'AGENT') = (credential_spki IS NOT NULL))
);

-- One tunnel address per device and location; no two devices of a location share one.
CREATE TABLE device_addresses (
    device_id  uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    location   text NOT NULL REFERENCES locations (name) ON DELETE CASCADE,
    address    inet NOT NULL CHECK (masklen(address) = CASE family(address) WHEN 4 THEN 32 ELSE 128 END),
    PRIMARY KEY (device_id, location),
    UNIQUE (location, address)
);

-- ---- invites and sessions ----------------------------------------------------------------------------

CREATE TABLE invites (
    token_hash     bytea       PRIMARY KEY CHECK (octet_length(token_hash) = 32),  -- SHA-256; the token is never stored
    user_id        uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_by     text        NOT NULL CHECK (char_length(created_by) BETWEEN 1 AND 63),
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL CHECK (expires_at > created_at),
    redeemed_at    timestamptz,
    superseded_at  timestamptz,
    revoked_at     timestamptz
);
CREATE INDEX invites_user ON invites (user_id);

CREATE TABLE enrollment_sessions (
    session_hash               bytea       PRIMARY KEY CHECK (octet_length(session_hash) = 32),  -- SHA-256 of the cookie value
    csrf_hash                  bytea       NOT NULL CHECK (octet_length(csrf_hash) = 32),
    user_id                    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind                       text        NOT NULL CHECK (kind IN ('ENROLL', 'RESET')),
    created_at                 timestamptz NOT NULL,
    expires_at                 timestamptz NOT NULL CHECK (expires_at > created_at),
    ended_at                   timestamptz,
    -- the TOTP secret shown by totp/start, sealed like totp_credentials.sealed_secret, until confirmed
    pending_totp_secret        bytea       CHECK (pending_totp_secret IS NULL OR octet_length(pending_totp_secret) <= 128),
    -- the WebAuthn registration request (Yubico JSON) of webauthn/start, until finished
    pending_webauthn_request   text        CHECK (pending_webauthn_request IS NULL OR char_length(pending_webauthn_request) <= 16384),
    pending_webauthn_nickname  text        CHECK (pending_webauthn_nickname IS NULL OR char_length(pending_webauthn_nickname) BETWEEN 1 AND 64),
    recovery_codes_shown       boolean     NOT NULL DEFAULT false
);
CREATE INDEX enrollment_sessions_user ON enrollment_sessions (user_id);

-- ---- second factors -----------------------------------------------------------------------------------

CREATE TABLE totp_credentials (
    user_id         uuid        PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    -- Sealer format: version byte | 12-byte nonce | ciphertext | 16-byte tag; never the Base32 secret
    sealed_secret   bytea       NOT NULL CHECK (octet_length(sealed_secret) BETWEEN 29 AND 128),
    -- the last time step a code was accepted for: a code of this step or an older one is a replay
    last_used_step  bigint      CHECK (last_used_step IS NULL OR last_used_step >= 0),
    created_at      timestamptz NOT NULL
);

CREATE TABLE webauthn_credentials (
    credential_id       bytea       PRIMARY KEY CHECK (octet_length(credential_id) BETWEEN 1 AND 1023),
    user_id             uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    nickname            text        NOT NULL CHECK (char_length(nickname) BETWEEN 1 AND 64),
    public_key_cose     bytea       NOT NULL CHECK (octet_length(public_key_cose) BETWEEN 1 AND 2048),
    signature_count     bigint      NOT NULL CHECK (signature_count >= 0),
    attestation_object  bytea       CHECK (attestation_object IS NULL OR octet_length(attestation_object) <= 65536),
    attestation_format  text        CHECK (attestation_format IS NULL OR char_length(attestation_format) BETWEEN 1 AND 32),
    aaguid              text        CHECK (aaguid IS NULL OR char_length(aaguid) BETWEEN 1 AND 64),
    transports          text[]      NOT NULL DEFAULT '{}' CHECK (cardinality(transports) <= 8
                                        AND char_length(array_to_string(transports, ',')) <= 8 * 32),
    created_at          timestamptz NOT NULL,
    last_used_at        timestamptz
);
CREATE INDEX webauthn_credentials_user ON webauthn_credentials (user_id);

CREATE TABLE recovery_codes (
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash   bytea       NOT NULL CHECK (octet_length(code_hash) = 32),  -- SHA-256 of the normalized code
    created_at  timestamptz NOT NULL,
    used_at     timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE reset_tokens (
    token_hash     bytea       PRIMARY KEY CHECK (octet_length(token_hash) = 32),  -- SHA-256; the token is never stored
    user_id        uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL CHECK (expires_at > created_at),
    used_at        timestamptz,
    superseded_at  timestamptz
);
CREATE INDEX reset_tokens_user ON reset_tokens (user_id);

-- Disabling or deleting a device or user evicts its key at every location: found by key alone.
CREATE INDEX location_peers_public_key ON location_peers (public_key);
