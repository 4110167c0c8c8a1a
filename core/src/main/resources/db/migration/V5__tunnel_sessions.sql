-- Tunnel sessions: a device's live admission at a location after its user passed MFA for it.
-- A session is a location_peers row (one per device and location, replaced when the user
-- re-authenticates) plus who it belongs to and what the gateways last reported about it.
-- Rows an admin admitted by hand (`peer admit`, no user) keep user_id and device_id NULL.

ALTER TABLE location_peers
    ADD COLUMN user_id            uuid REFERENCES users (id) ON DELETE CASCADE,
    ADD COLUMN device_id          uuid REFERENCES devices (id) ON DELETE CASCADE,
    -- how the user proved the second factor for this session
    ADD COLUMN mfa_method         text CHECK (mfa_method IS NULL OR mfa_method IN ('TOTP', 'WEBAUTHN')),
    -- the newest handshake any gateway of the location reported (idle timeout counts from it, or from created_at)
    ADD COLUMN last_handshake_at  timestamptz,
    -- the device's public endpoint as a gateway first saw it in this session ("address:port")
    ADD COLUMN first_endpoint     text CHECK (first_endpoint IS NULL OR char_length(first_endpoint) <= 64),
    ADD CONSTRAINT location_peers_owner CHECK ((user_id IS NULL) = (device_id IS NULL)
                                               AND (user_id IS NULL) = (mfa_method IS NULL));
-- Where devices dial a gateway when that is not the address core dials it at (NAT, a load
-- balancer, a separate interface): a host name or IP literal; the port stays the one it reports.
ALTER TABLE components
    ADD COLUMN device_endpoint_host text CHECK (device_endpoint_host IS NULL OR char_length(device_endpoint_host) BETWEEN 1 AND 253);

CREATE INDEX location_peers_user ON location_peers (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX location_peers_device ON location_peers (device_id) WHERE device_id IS NOT NULL;

-- A started MFA ceremony for a tunnel session, waiting for its second factor. Single use: finishing
-- it (or its expiry) ends it. Only hashes of its bearer values are stored.
CREATE TABLE mfa_attempts (
    id_sha256          bytea       PRIMARY KEY CHECK (octet_length(id_sha256) = 32),
    device_id          uuid        NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    user_id            uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    location           text        NOT NULL REFERENCES locations (name) ON DELETE CASCADE,
    method             text        NOT NULL CHECK (method IN ('TOTP', 'WEBAUTHN')),
    -- WebAuthn only: the one-time browser hand-off token (hash) and the assertion request (JSON, public)
    handoff_sha256     bytea       UNIQUE CHECK (handoff_sha256 IS NULL OR octet_length(handoff_sha256) = 32),
    webauthn_request   text        CHECK (webauthn_request IS NULL OR char_length(webauthn_request) <= 16384),
    -- WebAuthn only: set when the browser's assertion verified; finish then admits
    asserted_at        timestamptz,
    source_address     text        CHECK (source_address IS NULL OR char_length(source_address) <= 64),
    created_at         timestamptz NOT NULL,
    expires_at         timestamptz NOT NULL,
    CHECK ((method = 'WEBAUTHN') = (handoff_sha256 IS NOT NULL))
);
CREATE INDEX mfa_attempts_expiry ON mfa_attempts (expires_at);

-- Failed second factors per key ("user:<uuid>", "device:<uuid>", "address:<ip>"): the growing
-- delay and the lockout. A success clears the user's and the device's rows.
CREATE TABLE mfa_failures (
    key              text        PRIMARY KEY CHECK (char_length(key) BETWEEN 3 AND 80),
    failures         integer     NOT NULL CHECK (failures >= 1),
    last_failure_at  timestamptz NOT NULL,
    -- no attempt for this key is considered before this time (the growing delay or the lockout)
    blocked_until    timestamptz,
    locked           boolean     NOT NULL DEFAULT false
);
