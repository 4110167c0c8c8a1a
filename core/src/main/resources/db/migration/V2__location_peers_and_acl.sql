-- Locations: which device peers each location's gateways admit (one row per live tunnel
-- session) and the location's ACL; plus each gateway's tunnel settings and what it reported
-- about its WireGuard interface. Session preshared keys are never stored in the clear: they are
-- sealed (AES-256-GCM) under the master key, which lives outside the database.

ALTER TABLE components
    -- gateway tunnel settings: the gateway's own addresses on the tunnel network (canonical CIDR text)
    ADD COLUMN tunnel_addresses       text[]  NOT NULL DEFAULT '{}' CHECK (cardinality(tunnel_addresses) <= 4),
    -- interface MTU; 0 = the gateway's default
    ADD COLUMN mtu                    integer NOT NULL DEFAULT 0 CHECK (mtu = 0 OR mtu BETWEEN 1280 AND 9000),
    -- what the gateway reported in its last Hello: the public half of the key it generated, its UDP port
    ADD COLUMN wireguard_public_key   bytea   CHECK (wireguard_public_key IS NULL OR octet_length(wireguard_public_key) = 32),
    ADD COLUMN wireguard_listen_port  integer CHECK (wireguard_listen_port IS NULL OR wireguard_listen_port BETWEEN 1 AND 65535),
    ADD COLUMN wireguard_reported_at  timestamptz;
CREATE INDEX components_gateway_location ON components (location) WHERE role = 'GATEWAY' AND state <> 'REMOVED';

CREATE TABLE location_peers (
    location              text        NOT NULL CHECK (char_length(location) BETWEEN 1 AND 63),
    public_key            bytea       NOT NULL CHECK (octet_length(public_key) = 32),
    allowed_ips           text[]      NOT NULL CHECK (cardinality(allowed_ips) BETWEEN 1 AND 4),
    -- Sealer format: version byte | 12-byte nonce | 32-byte ciphertext | 16-byte tag. Never the raw 32 bytes.
    sealed_preshared_key  bytea       NOT NULL CHECK (octet_length(sealed_preshared_key) = 61),
    not_after             timestamptz NOT NULL,
    session_id            text        NOT NULL UNIQUE CHECK (session_id ~ '^[A-Za-z0-9_-]{22}$'),  -- random, not secret
    created_at            timestamptz NOT NULL,
    PRIMARY KEY (location, public_key)
);
CREATE INDEX location_peers_expiry ON location_peers (location, not_after);

CREATE TABLE location_acl (
    location    text        PRIMARY KEY CHECK (char_length(location) BETWEEN 1 AND 63),
    revision    bigint      NOT NULL CHECK (revision >= 1),
    policy      bytea       NOT NULL,  -- serialized portcullis.v1.AclPolicy, validated by core before it is stored
    updated_at  timestamptz NOT NULL
);
