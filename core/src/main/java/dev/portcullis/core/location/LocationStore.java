package dev.portcullis.core.location;

import static dev.portcullis.core.store.Database.instant;
import static dev.portcullis.core.store.Database.timestamp;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.portcullis.core.error.ConflictException;
import dev.portcullis.core.store.Database;
import dev.portcullis.pki.authority.Sealer;
import dev.portcullis.pki.wireguard.PresharedKey;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import dev.portcullis.protocol.net.Cidr;
import dev.portcullis.protocol.v1.AclPolicy;
import dev.portcullis.protocol.v1.PeerAdmission;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Locations in PostgreSQL: the admitted peers of each location (preshared keys sealed under the
 * master key, opened only in memory to build a gateway's snapshot) and each location's ACL.
 * Expired admissions are never handed out and are deleted lazily by the next change.
 */
public final class LocationStore {

    private static final Logger LOG = LoggerFactory.getLogger(LocationStore.class);
    /**
     * Live sessions per location. Every one is a peer on every gateway of the location and travels
     * in each snapshot: 10,000 peers with {@link #MAX_ALLOWED_IPS} IPv6 prefixes each stay under
     * gRPC's default 4 MiB message limit, and match the gateway's benchmarked full-apply size.
     */
    public static final int MAX_PEERS_PER_LOCATION = 10_000;
    /** A device's own tunnel addresses: an IPv4 and an IPv6 host route, with room for two more. */
    public static final int MAX_ALLOWED_IPS = 4;
    /**
     * Sealing purpose (AES-GCM associated data) of session preshared keys. The session id is
     * appended, so a sealed key copied into another row does not open there.
     */
    static final String PSK_PURPOSE = "portcullis/session-psk/v1";

    private final Database database;
    private final Sealer sealer;

    public LocationStore(Database database, Sealer sealer) {
        this.database = database;
        this.sealer = sealer;
    }

    /** A gateway of a location whose configuration version was bumped for one update. */
    record Bumped(String componentId, String name, long baseVersion, long version) {
    }

    /** A peer row as admins see it: never the preshared key. */
    public record AdmittedPeer(WireGuardPublicKey publicKey, List<String> allowedIps, Instant notAfter, String sessionId,
                               Instant createdAt) {
    }

    /** What a gateway's snapshot carries about its location: every unexpired peer (with its key) and the ACL. */
    public record LocationState(List<PeerAdmission> peers, AclPolicy acl) {
    }

    /** A stored ACL: revision 0 and no rules (deny everything) when none was ever set. */
    public record StoredAcl(AclPolicy policy, Optional<Instant> updatedAt) {
    }

    // ---- read side -----------------------------------------------------------------------------

    /** Called inside the registry's snapshot transaction, after it read the gateway's version. */
    public LocationState snapshot(Connection connection, String location, Instant now) throws SQLException {
        List<PeerAdmission> peers = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT public_key, allowed_ips, sealed_preshared_key, not_after, session_id FROM location_peers "
                        + "WHERE location = ? AND not_after > ? ORDER BY created_at, public_key")) {
            select.setString(1, location);
            select.setObject(2, timestamp(now));
            try (ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    String sessionId = rs.getString("session_id");
                    byte[] psk;
                    try {
                        psk = sealer.open(pskPurpose(sessionId), rs.getBytes("sealed_preshared_key"));
                    } catch (Sealer.UnsealException e) {
                        // Fail closed: a peer whose key cannot be opened is left out, never sent with a wrong key.
                        LOG.error("location '{}': preshared key of session {} does not open (altered row or wrong master "
                                + "key); the peer is left out of gateway snapshots", location, sessionId);
                        continue;
                    }
                    try {
                        peers.add(PeerAdmission.newBuilder()
                                .setPublicKey(ByteString.copyFrom(rs.getBytes("public_key")))
                                .addAllAllowedIps(strings(rs.getArray("allowed_ips")))
                                .setPresharedKey(ByteString.copyFrom(psk))
                                .setNotAfterUnixMillis(instant(rs, "not_after").toEpochMilli())
                                .setSessionId(sessionId)
                                .build());
                    } finally {
                        Arrays.fill(psk, (byte) 0);
                    }
                }
            }
        }
        return new LocationState(peers, acl(connection, location).policy());
    }

    public List<AdmittedPeer> peers(String location, Instant now) {
        return database.inTransaction(connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT public_key, allowed_ips, not_after, session_id, created_at FROM location_peers "
                            + "WHERE location = ? AND not_after > ? ORDER BY created_at, public_key")) {
                select.setString(1, location);
                select.setObject(2, timestamp(now));
                try (ResultSet rs = select.executeQuery()) {
                    List<AdmittedPeer> peers = new ArrayList<>();
                    while (rs.next()) {
                        peers.add(new AdmittedPeer(WireGuardPublicKey.fromBytes(rs.getBytes("public_key")),
                                strings(rs.getArray("allowed_ips")), instant(rs, "not_after"), rs.getString("session_id"),
                                instant(rs, "created_at")));
                    }
                    return peers;
                }
            }
        });
    }

    public StoredAcl acl(String location) {
        return database.inTransaction(connection -> acl(connection, location));
    }

    /** A location is known if it was created explicitly, a gateway (not removed) serves it or it has a policy. */
    public boolean known(String location) {
        return database.inTransaction(connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT EXISTS (SELECT 1 FROM components WHERE role = 'GATEWAY' AND state <> 'REMOVED' AND location = ?) "
                            + "OR EXISTS (SELECT 1 FROM location_acl WHERE location = ?) "
                            + "OR EXISTS (SELECT 1 FROM locations WHERE name = ?)")) {
                select.setString(1, location);
                select.setString(2, location);
                select.setString(3, location);
                try (ResultSet rs = select.executeQuery()) {
                    rs.next();
                    return rs.getBoolean(1);
                }
            }
        });
    }

    /** The locations where the device key has a live (unexpired) session, to evict it from each. */
    public List<String> locationsAdmitting(WireGuardPublicKey key, Instant now) {
        return database.inTransaction(connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT location FROM location_peers WHERE public_key = ? AND not_after > ? ORDER BY location")) {
                select.setBytes(1, key.bytes());
                select.setObject(2, timestamp(now));
                try (ResultSet rs = select.executeQuery()) {
                    List<String> locations = new ArrayList<>();
                    while (rs.next()) {
                        locations.add(rs.getString(1));
                    }
                    return locations;
                }
            }
        });
    }

    // ---- write side (used by Admissions, inside its transactions) -----------------------------

    /** Locks the adopted gateways of a location (in id order, so concurrent changes cannot deadlock). */
    static List<String> lockGateways(Connection connection, String location) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT id FROM components WHERE role = 'GATEWAY' AND state = 'ADOPTED' AND location = ? "
                        + "ORDER BY id FOR UPDATE")) {
            select.setString(1, location);
            try (ResultSet rs = select.executeQuery()) {
                List<String> ids = new ArrayList<>();
                while (rs.next()) {
                    ids.add(rs.getObject(1, UUID.class).toString());
                }
                return ids;
            }
        }
    }

    /** Bumps each gateway's configuration version by one: the update goes from the old version to the new. */
    static List<Bumped> bumpVersions(Connection connection, List<String> gatewayIds, Instant now) throws SQLException {
        List<Bumped> bumped = new ArrayList<>();
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE components SET config_version = config_version + 1, updated_at = ? WHERE id = ? "
                        + "RETURNING name, config_version")) {
            for (String id : gatewayIds) {
                update.setObject(1, timestamp(now));
                update.setObject(2, UUID.fromString(id));
                try (ResultSet rs = update.executeQuery()) {
                    rs.next();
                    long version = rs.getLong("config_version");
                    bumped.add(new Bumped(id, rs.getString("name"), version - 1, version));
                }
            }
        }
        return bumped;
    }

    static int deleteExpired(Connection connection, String location, Instant now) throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement(
                "DELETE FROM location_peers WHERE location = ? AND not_after <= ?")) {
            delete.setString(1, location);
            delete.setObject(2, timestamp(now));
            return delete.executeUpdate();
        }
    }

    /** The allowed IPs of every other live peer of the location, for the overlap check. */
    static List<Cidr> allowedIpsOfOthers(Connection connection, String location, WireGuardPublicKey except)
            throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT allowed_ips FROM location_peers WHERE location = ? AND public_key <> ?")) {
            select.setString(1, location);
            select.setBytes(2, except.bytes());
            try (ResultSet rs = select.executeQuery()) {
                List<Cidr> taken = new ArrayList<>();
                while (rs.next()) {
                    for (String text : strings(rs.getArray(1))) {
                        taken.add(CidrField.parse(text, "stored allowed IP"));
                    }
                }
                return taken;
            }
        }
    }

    static boolean isGatewayKey(Connection connection, String location, WireGuardPublicKey key) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT 1 FROM components WHERE role = 'GATEWAY' AND state <> 'REMOVED' AND location = ? "
                        + "AND wireguard_public_key = ?")) {
            select.setString(1, location);
            select.setBytes(2, key.bytes());
            try (ResultSet rs = select.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** Inserts the session, or replaces the previous session of the same device key at this location. */
    void upsertPeer(Connection connection, String location, PeerAdmission admission, PresharedKey psk, Instant now)
            throws SQLException {
        upsertPeer(connection, location, admission, psk, now, Optional.empty());
    }

    /**
     * Inserts the session, or replaces the previous session of the same device key at this location,
     * with its owner (an MFA tunnel session) or none (an admin's admission). A replaced session's
     * owner, handshake and first endpoint go with it: the new session starts fresh.
     */
    void upsertPeer(Connection connection, String location, PeerAdmission admission, PresharedKey psk, Instant now,
                    Optional<SessionOwner> owner) throws SQLException {
        try (PreparedStatement count = connection.prepareStatement(
                "SELECT count(*) FILTER (WHERE public_key <> ?) FROM location_peers WHERE location = ?")) {
            count.setBytes(1, admission.getPublicKey().toByteArray());
            count.setString(2, location);
            try (ResultSet rs = count.executeQuery()) {
                rs.next();
                if (rs.getLong(1) >= MAX_PEERS_PER_LOCATION) {
                    throw new ConflictException("location '" + location + "' already has the maximum of "
                            + MAX_PEERS_PER_LOCATION + " admitted peers");
                }
            }
        }
        byte[] raw = psk.bytes();
        byte[] sealed;
        try {
            sealed = sealer.seal(pskPurpose(admission.getSessionId()), raw);
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
        try (PreparedStatement upsert = connection.prepareStatement(
                "INSERT INTO location_peers (location, public_key, allowed_ips, sealed_preshared_key, not_after, session_id, "
                        + "created_at, user_id, device_id, mfa_method) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                        + "ON CONFLICT (location, public_key) DO UPDATE SET "
                        + "allowed_ips = EXCLUDED.allowed_ips, sealed_preshared_key = EXCLUDED.sealed_preshared_key, "
                        + "not_after = EXCLUDED.not_after, session_id = EXCLUDED.session_id, created_at = EXCLUDED.created_at, "
                        + "user_id = EXCLUDED.user_id, device_id = EXCLUDED.device_id, mfa_method = EXCLUDED.mfa_method, "
                        + "last_handshake_at = NULL, first_endpoint = NULL")) {
            upsert.setString(1, location);
            upsert.setBytes(2, admission.getPublicKey().toByteArray());
            upsert.setArray(3, connection.createArrayOf("text", admission.getAllowedIpsList().toArray()));
            upsert.setBytes(4, sealed);
            upsert.setObject(5, timestamp(Instant.ofEpochMilli(admission.getNotAfterUnixMillis())));
            upsert.setString(6, admission.getSessionId());
            upsert.setObject(7, timestamp(now));
            upsert.setObject(8, owner.map(SessionOwner::userId).orElse(null));
            upsert.setObject(9, owner.map(SessionOwner::deviceId).orElse(null));
            upsert.setString(10, owner.map(SessionOwner::method).orElse(null));
            upsert.executeUpdate();
        }
    }

    /** Locks the session's row if it is still there (not replaced, evicted or rolled back meanwhile). */
    static boolean lockSession(Connection connection, String location, WireGuardPublicKey key, String sessionId)
            throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT 1 FROM location_peers WHERE location = ? AND public_key = ? AND session_id = ? FOR UPDATE")) {
            select.setString(1, location);
            select.setBytes(2, key.bytes());
            select.setString(3, sessionId);
            try (ResultSet rs = select.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** Who an MFA tunnel session belongs to; peers an admin admitted by hand have none. */
    public record SessionOwner(UUID userId, String user, UUID deviceId, String device, String method) {
    }

    /** A deleted peer row and, for an MFA tunnel session, its owner. */
    public record DeletedPeer(AdmittedPeer peer, Optional<SessionOwner> owner) {
    }

    /**
     * Deletes the peer's row if it is still live (only the given session's, if one is named) and
     * returns it with its owner. An expired row is left for the session sweeper, which records its expiry.
     */
    static Optional<DeletedPeer> deleteLiveSession(Connection connection, String location, WireGuardPublicKey key,
                                                   Optional<String> sessionId, Instant now) throws SQLException {
        Optional<SessionOwner> owner;
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT p.user_id, u.name AS user_name, p.device_id, d.name AS device_name, p.mfa_method, p.not_after "
                        + "FROM location_peers p LEFT JOIN users u ON u.id = p.user_id LEFT JOIN devices d ON d.id = p.device_id "
                        + "WHERE p.location = ? AND p.public_key = ? AND (?::text IS NULL OR p.session_id = ?) FOR UPDATE OF p")) {
            select.setString(1, location);
            select.setBytes(2, key.bytes());
            select.setString(3, sessionId.orElse(null));
            select.setString(4, sessionId.orElse(null));
            try (ResultSet rs = select.executeQuery()) {
                if (!rs.next() || !instant(rs, "not_after").isAfter(now)) {
                    return Optional.empty();
                }
                UUID userId = rs.getObject("user_id", UUID.class);
                owner = userId == null ? Optional.empty() : Optional.of(new SessionOwner(userId, rs.getString("user_name"),
                        rs.getObject("device_id", UUID.class), rs.getString("device_name"), rs.getString("mfa_method")));
            }
        }
        return deletePeer(connection, location, key, sessionId).map(peer -> new DeletedPeer(peer, owner));
    }

    /** Deletes the peer's row (only the given session's, if one is named); returns the deleted row. */
    static Optional<AdmittedPeer> deletePeer(Connection connection, String location, WireGuardPublicKey key,
                                            Optional<String> sessionId) throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement(
                "DELETE FROM location_peers WHERE location = ? AND public_key = ? AND (?::text IS NULL OR session_id = ?) "
                        + "RETURNING allowed_ips, not_after, session_id, created_at")) {
            delete.setString(1, location);
            delete.setBytes(2, key.bytes());
            delete.setString(3, sessionId.orElse(null));
            delete.setString(4, sessionId.orElse(null));
            try (ResultSet rs = delete.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new AdmittedPeer(key, strings(rs.getArray("allowed_ips")), instant(rs, "not_after"),
                        rs.getString("session_id"), instant(rs, "created_at")));
            }
        }
    }

    /** Stores the policy as the next revision and returns it with that revision set. */
    static AclPolicy storeAcl(Connection connection, String location, AclPolicy policy, Instant now) throws SQLException {
        long revision;
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT revision FROM location_acl WHERE location = ? FOR UPDATE")) {
            select.setString(1, location);
            try (ResultSet rs = select.executeQuery()) {
                revision = rs.next() ? rs.getLong(1) + 1 : 1;
            }
        }
        AclPolicy stored = policy.toBuilder().setRevision(revision).build();
        try (PreparedStatement upsert = connection.prepareStatement(
                "INSERT INTO location_acl (location, revision, policy, updated_at) VALUES (?, ?, ?, ?) "
                        + "ON CONFLICT (location) DO UPDATE SET revision = EXCLUDED.revision, policy = EXCLUDED.policy, "
                        + "updated_at = EXCLUDED.updated_at")) {
            upsert.setString(1, location);
            upsert.setLong(2, revision);
            upsert.setBytes(3, stored.toByteArray());
            upsert.setObject(4, timestamp(now));
            upsert.executeUpdate();
        }
        return stored;
    }

    static StoredAcl acl(Connection connection, String location) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT policy, updated_at FROM location_acl WHERE location = ?")) {
            select.setString(1, location);
            try (ResultSet rs = select.executeQuery()) {
                if (!rs.next()) {
                    return new StoredAcl(AclPolicy.getDefaultInstance(), Optional.empty());
                }
                try {
                    return new StoredAcl(AclPolicy.parseFrom(rs.getBytes("policy")), Optional.of(instant(rs, "updated_at")));
                } catch (InvalidProtocolBufferException e) {
                    throw new IllegalStateException("the stored ACL of location '" + location + "' cannot be parsed", e);
                }
            }
        }
    }

    static String pskPurpose(String sessionId) {
        return PSK_PURPOSE + "/" + sessionId;
    }

    private static List<String> strings(Array array) throws SQLException {
        return List.of((String[]) array.getArray());
    }
}
