package dev.portcullis.core.identity;

import static dev.portcullis.core.store.Database.instant;
import static dev.portcullis.core.store.Database.timestamp;

import dev.portcullis.core.audit.Actor;
import dev.portcullis.core.audit.SecurityAction;
import dev.portcullis.core.audit.SecurityEvent;
import dev.portcullis.core.audit.SecurityEvents;
import dev.portcullis.core.error.BadRequestException;
import dev.portcullis.core.error.ConflictException;
import dev.portcullis.core.error.NotFoundException;
import dev.portcullis.core.location.AddressPool;
import dev.portcullis.core.location.Admissions;
import dev.portcullis.core.location.Location;
import dev.portcullis.core.store.Database;
import dev.portcullis.enrollment.device.DeviceName;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import dev.portcullis.protocol.net.Cidr;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Users' devices in PostgreSQL: registration (with a tunnel address at every location the user may
 * reach), listing, renaming, disabling and deleting. Disabling or deleting a device also evicts
 * its key from every location where it has a tunnel session.
 */
public final class Devices {

    /**
     * Devices one user may register: a laptop, a phone, a tablet and spares, with room to replace
     * each a few times before cleaning up. Bounds what one invite can allocate from the pools.
     */
    public static final int MAX_DEVICES_PER_USER = 20;

    private static final String COLUMNS = "d.id, u.name AS user_name, d.name, d.kind, d.wireguard_public_key, d.state, "
            + "d.created_at";

    private final Database database;
    private final Clock clock;
    private final SecurityEvents events;
    private final TunnelEvictions evictions;

    public Devices(Database database, Clock clock, SecurityEvents events, TunnelEvictions evictions) {
        this.database = database;
        this.clock = clock;
        this.events = events;
        this.evictions = evictions;
    }

    /** A device to register, already parsed: the WireGuard key and, for agents, the credential's SPKI. */
    public record NewDevice(String name, DeviceKind kind, WireGuardPublicKey publicKey, Optional<byte[]> credentialSpki) {
    }

    // ---- admin side ---------------------------------------------------------------------------------

    /** Every device, or only those of one user, by user and name. */
    public List<Device> list(Optional<String> user) {
        user.ifPresent(name -> {
            if (!IdentityNames.isValidName(name)) {
                throw IdentityNames.noUser(name);
            }
        });
        return database.inTransaction(connection -> {
            if (user.isPresent() && Users.idOf(connection, user.get()).isEmpty()) {
                throw IdentityNames.noUser(user.get());
            }
            return select(connection, "SELECT " + COLUMNS + " FROM devices d JOIN users u ON u.id = d.user_id "
                    + (user.isPresent() ? "WHERE u.name = ? " : "") + "ORDER BY u.name, d.name", user.orElse(null));
        });
    }

    public Device rename(String user, String device, String newName, Actor actor) {
        String valid = validName(newName);
        return database.inTransaction(connection -> {
            Device current = lock(connection, user, device);
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE devices SET name = ?, updated_at = ? WHERE id = ?")) {
                update.setString(1, valid);
                update.setObject(2, timestamp(clock.instant()));
                update.setObject(3, UUID.fromString(current.id()));
                update.executeUpdate();
            } catch (SQLException e) {
                if (Database.isUniqueViolation(e)) {
                    throw new ConflictException("user '" + user + "' already has a device named '" + valid + "'");
                }
                throw e;
            }
            events.record(connection, SecurityEvent.success(SecurityAction.DEVICE_RENAMED, actor,
                    SecurityEvent.device(user, valid)).with("previous_name", current.name()));
            return byId(connection, current.id());
        });
    }

    /** Disables the device and ends its tunnel sessions everywhere. */
    public Device disable(String user, String device, Actor actor) {
        Device disabled = setState(user, device, DeviceState.DISABLED, actor, SecurityAction.DEVICE_DISABLED);
        evictions.evict(List.of(disabled.publicKey()), Admissions.EndReason.DEVICE_DISABLED, actor);
        return disabled;
    }

    public Device enable(String user, String device, Actor actor) {
        return setState(user, device, DeviceState.ACTIVE, actor, SecurityAction.DEVICE_ENABLED);
    }

    /**
     * Deletes the device (and its tunnel addresses) and ends its tunnel sessions everywhere: it is
     * disabled first, so its sessions are evicted while core still has their rows (deleting
     * cascades to them) and no new session can start before the deletion.
     */
    public Device delete(String user, String device, Actor actor) {
        disable(user, device, actor);
        Device deleted = database.inTransaction(connection -> {
            Device current = lock(connection, user, device);
            try (PreparedStatement delete = connection.prepareStatement("DELETE FROM devices WHERE id = ?")) {
                delete.setObject(1, UUID.fromString(current.id()));
                delete.executeUpdate();
            }
            events.record(connection, SecurityEvent.success(SecurityAction.DEVICE_REMOVED, actor,
                    SecurityEvent.device(user, current.name())).with("public_key", current.publicKey()));
            return current;
        });
        return deleted;
    }

    private Device setState(String user, String device, DeviceState state, Actor actor, SecurityAction action) {
        return database.inTransaction(connection -> {
            Device current = lock(connection, user, device);
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE devices SET state = ?, updated_at = ? WHERE id = ?")) {
                update.setString(1, state.name());
                update.setObject(2, timestamp(clock.instant()));
                update.setObject(3, UUID.fromString(current.id()));
                update.executeUpdate();
            }
            events.record(connection, SecurityEvent.success(action, actor, SecurityEvent.device(user, current.name()))
                    .with("public_key", current.publicKey()));
            return byId(connection, current.id());
        });
    }

    // ---- enrollment side (inside the ceremony's transaction) -------------------------------------

    /**
     * Registers a device of the user and allocates it an address at each of {@code locations}.
     *
     * @throws ConflictException with a message the user can act on: the name is taken, the key is
     *                           already registered, the user has too many devices, or a pool is full
     */
    public Device register(Connection connection, UUID userId, String userName, NewDevice device, List<Location> locations,
                           Actor actor) throws SQLException {
        Instant now = clock.instant();
        try (PreparedStatement count = connection.prepareStatement("SELECT count(*) FROM devices WHERE user_id = ?")) {
            count.setObject(1, userId);
            try (ResultSet rs = count.executeQuery()) {
                rs.next();
                if (rs.getInt(1) >= MAX_DEVICES_PER_USER) {
                    throw new ConflictException("You already have " + MAX_DEVICES_PER_USER
                            + " devices, the most one account may have. Ask your administrator to remove old ones.");
                }
            }
        }
        UUID id = UUID.randomUUID();
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO devices (id, user_id, name, kind, wireguard_public_key, credential_spki, state, created_at, "
                        + "updated_at) VALUES (?, ?, ?, ?, ?, ?, 'ACTIVE', ?, ?)")) {
            insert.setObject(1, id);
            insert.setObject(2, userId);
            insert.setString(3, device.name());
            insert.setString(4, device.kind().name());
            insert.setBytes(5, device.publicKey().bytes());
            insert.setBytes(6, device.credentialSpki().orElse(null));
            insert.setObject(7, timestamp(now));
            insert.setObject(8, timestamp(now));
            insert.executeUpdate();
        } catch (SQLException e) {
            if (Database.isUniqueViolation(e)) {
                String constraint = e.getMessage() == null ? "" : e.getMessage();
                throw new ConflictException(constraint.contains("wireguard_public_key")
                        ? "That WireGuard key is already registered. Generate a new key pair for this device."
                        : "You already have a device with that name. Choose another name.");
            }
            throw e;
        }
        // In name order, so concurrent registrations take the per-location locks in one order (no deadlock).
        List<Location> ordered = new ArrayList<>(locations);
        ordered.sort(java.util.Comparator.comparing(Location::name));
        for (Location location : ordered) {
            AddressPool.allocate(connection, location.name(), Cidr.parse(location.addressPool()), id);
        }
        events.record(connection, SecurityEvent.success(SecurityAction.DEVICE_REGISTERED, actor,
                        SecurityEvent.device(userName, device.name()))
                .with("kind", device.kind().text()).with("public_key", device.publicKey())
                .with("locations", ordered.stream().map(Location::name).toList()));
        return byId(connection, id.toString());
    }

    /** How many devices the user has. */
    public static int count(Connection connection, UUID userId) throws SQLException {
        try (PreparedStatement count = connection.prepareStatement("SELECT count(*) FROM devices WHERE user_id = ?")) {
            count.setObject(1, userId);
            try (ResultSet rs = count.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /** The WireGuard keys of all of a user's devices (to evict them when the user is disabled or deleted). */
    static List<WireGuardPublicKey> keysOf(Connection connection, UUID userId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT wireguard_public_key FROM devices WHERE user_id = ?")) {
            select.setObject(1, userId);
            try (ResultSet rs = select.executeQuery()) {
                List<WireGuardPublicKey> keys = new ArrayList<>();
                while (rs.next()) {
                    keys.add(WireGuardPublicKey.fromBytes(rs.getBytes(1)));
                }
                return keys;
            }
        }
    }

    static List<Device> ofUser(Connection connection, UUID userId) throws SQLException {
        return select(connection, "SELECT " + COLUMNS + " FROM devices d JOIN users u ON u.id = d.user_id "
                + "WHERE d.user_id = ? ORDER BY d.name", userId);
    }

    /** A device name as the user or an admin typed it, or a 400 saying what is wrong. */
    public static String validName(String name) {
        Optional<String> problem = DeviceName.problem(name);
        if (problem.isPresent()) {
            throw new BadRequestException(problem.get());
        }
        return name;
    }

    private static Device lock(Connection connection, String user, String device) throws SQLException {
        if (!IdentityNames.isValidName(user)) {
            throw IdentityNames.noUser(user);
        }
        List<Device> found = select(connection, "SELECT " + COLUMNS + " FROM devices d JOIN users u ON u.id = d.user_id "
                + "WHERE u.name = ? AND d.name = ? FOR UPDATE OF d", user, device);
        if (found.isEmpty()) {
            if (Users.idOf(connection, user).isEmpty()) {
                throw IdentityNames.noUser(user);
            }
            throw new NotFoundException(DeviceName.problem(device).isEmpty()
                    ? "user '" + user + "' has no device named '" + device + "'" : "no such device");
        }
        return found.get(0);
    }

    private static Device byId(Connection connection, String id) throws SQLException {
        return select(connection, "SELECT " + COLUMNS + " FROM devices d JOIN users u ON u.id = d.user_id WHERE d.id = ?",
                UUID.fromString(id)).get(0);
    }

    private static List<Device> select(Connection connection, String sql, Object... parameters) throws SQLException {
        List<Device> devices = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement(sql)) {
            int index = 1;
            for (Object parameter : parameters) {
                if (parameter != null) {
                    select.setObject(index++, parameter);
                }
            }
            try (ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    devices.add(new Device(rs.getObject("id", UUID.class).toString(), rs.getString("user_name"),
                            rs.getString("name"), DeviceKind.valueOf(rs.getString("kind")),
                            WireGuardPublicKey.fromBytes(rs.getBytes("wireguard_public_key")),
                            DeviceState.valueOf(rs.getString("state")), instant(rs, "created_at"), Map.of()));
                }
            }
        }
        List<Device> withAddresses = new ArrayList<>(devices.size());
        for (Device device : devices) {
            withAddresses.add(new Device(device.id(), device.user(), device.name(), device.kind(), device.publicKey(),
                    device.state(), device.createdAt(), addresses(connection, device.id())));
        }
        return withAddresses;
    }

    private static Map<String, String> addresses(Connection connection, String deviceId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT location, host(address) AS host, masklen(address) AS prefix FROM device_addresses "
                        + "WHERE device_id = ? ORDER BY location")) {
            select.setObject(1, UUID.fromString(deviceId));
            try (ResultSet rs = select.executeQuery()) {
                Map<String, String> addresses = new LinkedHashMap<>();
                while (rs.next()) {
                    addresses.put(rs.getString("location"), Cidr.parse(rs.getString("host") + "/" + rs.getInt("prefix")).toString());
                }
                return addresses;
            }
        }
    }
}
