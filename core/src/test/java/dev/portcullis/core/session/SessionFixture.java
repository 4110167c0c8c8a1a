package dev.portcullis.core.session;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.portcullis.core.audit.Actor;
import dev.portcullis.core.enroll.EnrollmentFixture;
import dev.portcullis.core.identity.Device;
import dev.portcullis.core.identity.DeviceKind;
import dev.portcullis.core.identity.Devices;
import dev.portcullis.core.identity.User;
import dev.portcullis.core.location.Admissions;
import dev.portcullis.core.location.GatewayReports;
import dev.portcullis.core.location.Location;
import dev.portcullis.core.location.LocationStore;
import dev.portcullis.core.location.Locations;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import dev.portcullis.protocol.v1.ConfigUpdate;
import dev.portcullis.protocol.v1.PeerStats;
import dev.portcullis.protocol.v1.Telemetry;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Tunnel sessions on a real PostgreSQL: two explicit locations ("office", and "lab" which asks for
 * re-authentication on endpoint change), one faked gateway each (acknowledging every push), and
 * helpers to start MFA sessions, fabricate gateway telemetry and read the audit trail.
 */
final class SessionFixture implements AutoCloseable {

    static final Actor ADMIN = EnrollmentFixture.ADMIN;

    final EnrollmentFixture base = new EnrollmentFixture();
    final GatewayReports reports = new GatewayReports(base.database, base.clock, Runnable::run);
    final Sessions sessions = new Sessions(base.database, base.admissions, base.events, base.clock);
    final SessionSweeper sweeper = new SessionSweeper(base.database, sessions, reports, base.events, base.clock);
    final LocationPolicies policies = new LocationPolicies(base.locations, sessions);
    final String officeGateway;
    final String labGateway;

    SessionFixture() {
        base.location("office", "10.80.0.0/24", List.of(), List.of());
        base.locations.create(new Locations.NewLocation("lab", "10.81.0.0/24", List.of(), List.of(), List.of(),
                Optional.empty(), Optional.empty(), true, List.of()), ADMIN);
        base.gateway("gw-office", "office", "10.80.0.1/24", "203.0.113.7", 51820, 1420);
        base.gateway("gw-lab", "lab", "10.81.0.1/24", "203.0.113.8", 51820, 1420);
        officeGateway = base.registry.byName("gw-office").orElseThrow().id();
        labGateway = base.registry.byName("gw-lab").orElseThrow().id();
    }

    /** A live MFA session as the tunnel ceremony leaves it. */
    record Started(String id, String location, User user, Device device) {
        WireGuardPublicKey key() {
            return device.publicKey();
        }
    }

    User user(String name) {
        return base.users.byName(name).orElseGet(() -> base.user(name));
    }

    /** An enrolled device of the user with an address at both locations. */
    Device device(String user, String name) {
        User owner = user(user);
        List<Location> all = List.of(base.locations.byName("office").orElseThrow(), base.locations.byName("lab").orElseThrow());
        return base.database.inTransaction(c -> base.devices.register(c, UUID.fromString(owner.id()), owner.name(),
                new Devices.NewDevice(name, DeviceKind.CONFIG, EnrollmentFixture.randomKey(), Optional.empty()), all,
                Actor.user(owner.name(), "-")));
    }

    Started start(String user, String device, String location) {
        return start(device(user, device), location, Duration.ofHours(8));
    }

    /** Admits the device at the location as a passed MFA would (owner columns set, TOTP). */
    Started start(Device device, String location, Duration lifetime) {
        User owner = base.users.byName(device.user()).orElseThrow();
        Admissions.Admission admission = base.admissions.admit(location, device.publicKey(),
                List.of(device.addresses().get(location)), lifetime, new Admissions.SessionStart(
                        new LocationStore.SessionOwner(UUID.fromString(owner.id()), owner.name(), UUID.fromString(device.id()),
                                device.name(), "TOTP"), Actor.user(owner.name(), "198.51.100.7"), base.events));
        assertThat(admission.admitted()).as("admitted by every gateway").isTrue();
        return new Started(admission.sessionId(), location, owner, device);
    }

    /** A gateway's telemetry report: the device was last seen at {@code endpoint}, its last handshake at {@code handshake}. */
    void telemetry(String gatewayId, WireGuardPublicKey key, String endpoint, Instant handshake) {
        reports.telemetry(gatewayId, Telemetry.newBuilder().addPeers(PeerStats.newBuilder()
                .setPublicKey(ByteString.copyFrom(key.bytes())).setEndpoint(endpoint)
                .setLastHandshakeUnixMillis(handshake.toEpochMilli()).setRxBytes(1).setTxBytes(1)).build());
    }

    boolean rowExists(String sessionId) {
        return base.database.inTransaction(c -> {
            try (PreparedStatement select = c.prepareStatement("SELECT 1 FROM location_peers WHERE session_id = ?")) {
                select.setString(1, sessionId);
                try (ResultSet rs = select.executeQuery()) {
                    return rs.next();
                }
            }
        });
    }

    /** The evictions pushed to a gateway, as session ids. */
    List<String> evictedAt(String gatewayId) {
        return base.links.to(gatewayId).stream().filter(u -> u.getChangeCase() == ConfigUpdate.ChangeCase.EVICT)
                .map(u -> u.getEvict().getSessionId()).toList();
    }

    /** One audit record as tests read it. */
    record Audit(String actor, String subject, String reason, String location, String user, String device) {
    }

    /** The audit records of one action, oldest first (chained or still pending). */
    List<Audit> audit(String action) {
        return base.database.inTransaction(c -> {
            try (PreparedStatement select = c.prepareStatement(
                    "SELECT actor, subject, details FROM (SELECT seq AS n, 0 AS pending, actor, action, subject, details "
                            + "FROM audit_records UNION ALL SELECT id, 1, actor, action, subject, details FROM audit_pending) a "
                            + "WHERE action = ? ORDER BY pending, n")) {
                select.setString(1, action);
                List<Audit> records = new ArrayList<>();
                try (ResultSet rs = select.executeQuery()) {
                    while (rs.next()) {
                        records.add(new Audit(rs.getString("actor"), rs.getString("subject"), field(rs, "reason"),
                                field(rs, "location"), field(rs, "user"), field(rs, "device")));
                    }
                }
                return records;
            }
        });
    }

    private static String field(ResultSet rs, String key) throws java.sql.SQLException {
        String json = rs.getString("details");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"" + key + "\": ?\"([^\"]*)\"").matcher(json);
        return m.find() ? m.group(1) : null;
    }

    @Override
    public void close() {
        base.close();
    }
}
