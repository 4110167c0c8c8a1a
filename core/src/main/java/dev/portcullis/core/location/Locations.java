package dev.portcullis.core.location;

import static dev.portcullis.core.store.Database.instant;
import static dev.portcullis.core.store.Database.timestamp;

import dev.portcullis.core.audit.Actor;
import dev.portcullis.core.audit.SecurityAction;
import dev.portcullis.core.audit.SecurityEvent;
import dev.portcullis.core.audit.SecurityEvents;
import dev.portcullis.core.component.ComponentAddress;
import dev.portcullis.core.error.BadRequestException;
import dev.portcullis.core.error.ConflictException;
import dev.portcullis.core.error.NotFoundException;
import dev.portcullis.core.store.Database;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import dev.portcullis.protocol.net.Cidr;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Explicit locations in PostgreSQL: their address pool, DNS, routed networks, MFA policy and the
 * groups that may reach them; which locations a user may reach; and what a device needs to know
 * about a location's gateways.
 * <p>
 * Locations that exist only implicitly (named by a gateway's settings or an ACL) keep working for
 * admissions and ACLs ({@link LocationStore#known}); devices get addresses only at explicit ones.
 */
public final class Locations {

    /** A /16 holds 65,534 devices, more than one location's gateways can carry as peers anyway. */
    public static final int MIN_IPV4_POOL_PREFIX = 16;
    /** A /30 holds two host addresses: a gateway and one device, the smallest pool that is any use. */
    public static final int MAX_IPV4_POOL_PREFIX = 30;
    /** An IPv6 pool is at most a /64, the standard subnet size. */
    public static final int MIN_IPV6_POOL_PREFIX = 64;
    /** ... and at least a /126 (a gateway and a device or two). */
    public static final int MAX_IPV6_POOL_PREFIX = 126;
    /** Resolvers beyond a primary and a secondary per family are never used by resolvers anyway. */
    public static final int MAX_DNS_SERVERS = 4;
    /** Routes travel in every device configuration; 64 networks cover any real site. */
    public static final int MAX_ROUTED_NETWORKS = 64;
    /** Tunnel sessions: a working day by default (as admissions), from 1 minute to 7 days. */
    public static final Duration DEFAULT_SESSION_LIFETIME = Admissions.DEFAULT_LIFETIME;
    /** A tunnel left idle for 10 minutes is most likely a device left behind; it must re-authenticate. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(10);
    /** Shorter than a minute and a pause in typing ends the session. */
    public static final Duration MIN_IDLE_TIMEOUT = Duration.ofMinutes(1);
    /** Longer than a day is no idle timeout at all. */
    public static final Duration MAX_IDLE_TIMEOUT = Duration.ofDays(1);
    /** Groups a location may be restricted to; more is a sign the groups are wrong. */
    public static final int MAX_GROUPS = 64;

    private static final String COLUMNS = "name, host(address_pool) AS pool_host, masklen(address_pool) AS pool_prefix, dns, "
            + "routed_networks, mfa_methods, session_lifetime_seconds, idle_timeout_seconds, reauth_on_endpoint_change, "
            + "created_at";

    private final Database database;
    private final Clock clock;
    private final SecurityEvents events;

    public Locations(Database database, Clock clock, SecurityEvents events) {
        this.database = database;
        this.clock = clock;
        this.events = events;
    }

    /** What an admin asks for; absent values take their defaults. */
    public record NewLocation(String name, String addressPool, List<String> dns, List<String> routedNetworks,
                              List<String> mfaMethods, Optional<Duration> sessionLifetime, Optional<Duration> idleTimeout,
                              boolean reauthOnEndpointChange, List<String> groups) {
    }

    /** A gateway of a location as a device configuration needs it. */
    public record LocationGateway(String name, Optional<String> endpoint, Optional<WireGuardPublicKey> publicKey, int mtu) {
    }

    // ---- admin side ---------------------------------------------------------------------------------

    public Location create(NewLocation request, Actor actor) {
        String name = LocationName.valid(request.name());
        Cidr pool = pool(request.addressPool());
        List<String> dns = dns(request.dns());
        List<String> routes = routes(request.routedNetworks());
        Set<MfaMethod> methods = MfaMethod.parseAll(request.mfaMethods());
        Duration lifetime = between(request.sessionLifetime().orElse(DEFAULT_SESSION_LIFETIME), Admissions.MIN_LIFETIME,
                Admissions.MAX_LIFETIME, "session lifetime");
        Duration idle = between(request.idleTimeout().orElse(DEFAULT_IDLE_TIMEOUT), MIN_IDLE_TIMEOUT, MAX_IDLE_TIMEOUT,
                "idle timeout");
        List<String> groups = request.groups() == null ? List.of() : List.copyOf(new LinkedHashSet<>(request.groups()));
        if (groups.size() > MAX_GROUPS) {
            throw new BadRequestException("a location may name at most " + MAX_GROUPS + " groups");
        }
        Instant now = clock.instant();
        database.inTransaction(connection -> {
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO locations (name, address_pool, dns, routed_networks, mfa_methods, session_lifetime_seconds, "
                            + "idle_timeout_seconds, reauth_on_endpoint_change, created_at, updated_at) "
                            + "VALUES (?, ?::cidr, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING")) {
                insert.setString(1, name);
                insert.setString(2, pool.toString());
                insert.setArray(3, connection.createArrayOf("text", dns.toArray()));
                insert.setArray(4, connection.createArrayOf("text", routes.toArray()));
                insert.setArray(5, connection.createArrayOf("text", methods.stream().map(Enum::name).toArray()));
                insert.setInt(6, Math.toIntExact(lifetime.toSeconds()));
                insert.setInt(7, Math.toIntExact(idle.toSeconds()));
                insert.setBoolean(8, request.reauthOnEndpointChange());
                insert.setObject(9, timestamp(now));
                insert.setObject(10, timestamp(now));
                if (insert.executeUpdate() == 0) {
                    throw new ConflictException("location '" + name + "' already exists");
                }
            }
            for (String group : groups) {
                try (PreparedStatement link = connection.prepareStatement(
                        "INSERT INTO location_groups (location, group_id) SELECT ?, id FROM groups WHERE name = ?")) {
                    link.setString(1, name);
                    link.setString(2, group);
                    if (link.executeUpdate() == 0) {
                        throw new NotFoundException(printableName(group)
                                .map(g -> "no group named '" + g + "'").orElse("no such group"));
                    }
                }
            }
            events.record(connection, SecurityEvent.success(SecurityAction.LOCATION_CREATED, actor, "location:" + name)
                    .with("pool", pool).with("mfa", methods).with("groups", groups.isEmpty() ? "everyone" : groups));
            return null;
        });
        return byName(name).orElseThrow();
    }

    /** What an admin changes in a location's policy; absent values stay as they are. An empty group list means everyone. */
    public record PolicyChange(Optional<List<String>> mfaMethods, Optional<Duration> sessionLifetime,
                               Optional<Duration> idleTimeout, Optional<Boolean> reauthOnEndpointChange,
                               Optional<List<String>> groups) {
        public boolean isEmpty() {
            return mfaMethods.isEmpty() && sessionLifetime.isEmpty() && idleTimeout.isEmpty()
                    && reauthOnEndpointChange.isEmpty() && groups.isEmpty();
        }
    }

    /**
     * Changes the location's MFA policy and who may reach it, recording {@code location.policy.changed}
     * with the new values in the same transaction. Ending the sessions started under the old policy
     * is the caller's next step (see {@code dev.portcullis.core.session.LocationPolicies}).
     */
    public Location changePolicy(String location, PolicyChange change, Actor actor) {
        if (change.isEmpty()) {
            throw new BadRequestException("nothing to change: give at least one of mfa methods, session lifetime, "
                    + "idle timeout, reauth on endpoint change or groups");
        }
        String name = LocationName.valid(location);
        Optional<Set<MfaMethod>> methods = change.mfaMethods().map(texts -> {
            if (texts.isEmpty()) {
                throw new BadRequestException("mfa methods must name at least one of 'totp' and 'webauthn'");
            }
            return MfaMethod.parseAll(texts);
        });
        Optional<Duration> lifetime = change.sessionLifetime().map(d -> between(d, Admissions.MIN_LIFETIME,
                Admissions.MAX_LIFETIME, "session lifetime"));
        Optional<Duration> idle = change.idleTimeout().map(d -> between(d, MIN_IDLE_TIMEOUT, MAX_IDLE_TIMEOUT, "idle timeout"));
        Optional<List<String>> groups = change.groups().map(g -> List.copyOf(new LinkedHashSet<>(g)));
        if (groups.isPresent() && groups.get().size() > MAX_GROUPS) {
            throw new BadRequestException("a location may name at most " + MAX_GROUPS + " groups");
        }
        Instant now = clock.instant();
        database.inTransaction(connection -> {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE locations SET mfa_methods = COALESCE(?, mfa_methods), "
                            + "session_lifetime_seconds = COALESCE(?, session_lifetime_seconds), "
                            + "idle_timeout_seconds = COALESCE(?, idle_timeout_seconds), "
                            + "reauth_on_endpoint_change = COALESCE(?, reauth_on_endpoint_change), updated_at = ? WHERE name = ?")) {
                update.setArray(1, methods.isEmpty() ? null
                        : connection.createArrayOf("text", methods.get().stream().map(Enum::name).toArray()));
                update.setObject(2, lifetime.map(d -> Math.toIntExact(d.toSeconds())).orElse(null), java.sql.Types.INTEGER);
                update.setObject(3, idle.map(d -> Math.toIntExact(d.toSeconds())).orElse(null), java.sql.Types.INTEGER);
                update.setObject(4, change.reauthOnEndpointChange().orElse(null), java.sql.Types.BOOLEAN);
                update.setObject(5, timestamp(now));
                update.setString(6, name);
                if (update.executeUpdate() == 0) {
                    throw new NotFoundException("no location named '" + name + "'");
                }
            }
            if (groups.isPresent()) {
                try (PreparedStatement clear = connection.prepareStatement("DELETE FROM location_groups WHERE location = ?")) {
                    clear.setString(1, name);
                    clear.executeUpdate();
                }
                for (String group : groups.get()) {
                    try (PreparedStatement link = connection.prepareStatement(
                            "INSERT INTO location_groups (location, group_id) SELECT ?, id FROM groups WHERE name = ?")) {
                        link.setString(1, name);
                        link.setString(2, group);
                        if (link.executeUpdate() == 0) {
                            throw new NotFoundException(printableName(group)
                                    .map(g -> "no group named '" + g + "'").orElse("no such group"));
                        }
                    }
                }
            }
            Location changed = select(connection, "SELECT " + COLUMNS + " FROM locations WHERE name = ?", name).get(0);
            events.record(connection, SecurityEvent.success(SecurityAction.LOCATION_POLICY_CHANGED, actor, "location:" + name)
                    .with("mfa", changed.mfaMethods().stream().map(MfaMethod::text).sorted().toList())
                    .with("session_lifetime_seconds", changed.sessionLifetime().toSeconds())
                    .with("idle_timeout_seconds", changed.idleTimeout().toSeconds())
                    .with("reauth_on_endpoint_change", changed.reauthOnEndpointChange())
                    .with("groups", changed.groups().isEmpty() ? "everyone" : changed.groups()));
            return null;
        });
        return byName(name).orElseThrow();
    }

    public List<Location> list() {
        return database.inTransaction(connection -> select(connection, "SELECT " + COLUMNS + " FROM locations ORDER BY name"));
    }

    public Optional<Location> byName(String name) {
        if (!LocationName.isValid(name)) {
            return Optional.empty();
        }
        return database.inTransaction(connection -> {
            List<Location> found = select(connection, "SELECT " + COLUMNS + " FROM locations WHERE name = ?", name);
            return found.stream().findFirst();
        });
    }

    /** How many devices hold an address at the location. */
    public int deviceCount(String location) {
        return database.inTransaction(connection -> {
            try (PreparedStatement count = connection.prepareStatement(
                    "SELECT count(*) FROM device_addresses WHERE location = ?")) {
                count.setString(1, location);
                try (ResultSet rs = count.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            }
        });
    }

    public List<LocationGateway> gateways(String location) {
        return database.inTransaction(connection -> gateways(connection, location));
    }

    // ---- used inside other transactions ---------------------------------------------------------

    /** The explicit locations the user may reach: those open to everyone and those of the user's groups. */
    public List<Location> reachableBy(Connection connection, UUID userId) throws SQLException {
        return select(connection, "SELECT " + COLUMNS + " FROM locations l WHERE "
                + "NOT EXISTS (SELECT 1 FROM location_groups lg WHERE lg.location = l.name) "
                + "OR EXISTS (SELECT 1 FROM location_groups lg JOIN group_members gm ON gm.group_id = lg.group_id "
                + "WHERE lg.location = l.name AND gm.user_id = ?) ORDER BY name", userId);
    }

    /** The adopted gateways of a location, with the WireGuard endpoint and key they reported (if they did). */
    public List<LocationGateway> gateways(Connection connection, String location) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT name, coalesce(device_endpoint_host, host) AS host, mtu, wireguard_public_key, wireguard_listen_port FROM components "
                        + "WHERE role = 'GATEWAY' AND state = 'ADOPTED' AND location = ? ORDER BY name")) {
            select.setString(1, location);
            try (ResultSet rs = select.executeQuery()) {
                List<LocationGateway> gateways = new ArrayList<>();
                while (rs.next()) {
                    int port = rs.getInt("wireguard_listen_port");
                    Optional<String> endpoint = rs.wasNull() || port < 1
                            ? Optional.empty() : Optional.of(new ComponentAddress(rs.getString("host"), port).toString());
                    byte[] key = rs.getBytes("wireguard_public_key");
                    gateways.add(new LocationGateway(rs.getString("name"), endpoint,
                            key == null ? Optional.empty() : Optional.of(WireGuardPublicKey.fromBytes(key)), rs.getInt("mtu")));
                }
                return gateways;
            }
        }
    }

    private static List<Location> select(Connection connection, String sql, Object... parameters) throws SQLException {
        List<Location> locations = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                select.setObject(i + 1, parameters[i]);
            }
            try (ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    Set<MfaMethod> methods = EnumSet.noneOf(MfaMethod.class);
                    for (String method : strings(rs, "mfa_methods")) {
                        methods.add(MfaMethod.valueOf(method));
                    }
                    locations.add(new Location(rs.getString("name"),
                            Cidr.parse(rs.getString("pool_host") + "/" + rs.getInt("pool_prefix")).toString(),
                            strings(rs, "dns"), strings(rs, "routed_networks"), methods,
                            Duration.ofSeconds(rs.getInt("session_lifetime_seconds")),
                            Duration.ofSeconds(rs.getInt("idle_timeout_seconds")), rs.getBoolean("reauth_on_endpoint_change"),
                            List.of(), instant(rs, "created_at")));
                }
            }
        }
        List<Location> withGroups = new ArrayList<>(locations.size());
        for (Location location : locations) {
            withGroups.add(new Location(location.name(), location.addressPool(), location.dns(), location.routedNetworks(),
                    location.mfaMethods(), location.sessionLifetime(), location.idleTimeout(),
                    location.reauthOnEndpointChange(), groupsOf(connection, location.name()), location.createdAt()));
        }
        return withGroups;
    }

    private static List<String> groupsOf(Connection connection, String location) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT g.name FROM location_groups lg JOIN groups g ON g.id = lg.group_id WHERE lg.location = ? ORDER BY g.name")) {
            select.setString(1, location);
            try (ResultSet rs = select.executeQuery()) {
                List<String> groups = new ArrayList<>();
                while (rs.next()) {
                    groups.add(rs.getString(1));
                }
                return groups;
            }
        }
    }

    // ---- validation ------------------------------------------------------------------------------------

    /** Parses a pool: a network (no host bits), IPv4 /16 to /30 or IPv6 /64 to /126. */
    public static Cidr pool(String text) {
        if (text == null) {
            throw new BadRequestException("an address pool is required, e.g. 10.8.0.0/24");
        }
        Cidr pool = CidrField.parseNetwork(text, "address pool");
        boolean v4 = pool.family() == Cidr.Family.IPV4;
        int min = v4 ? MIN_IPV4_POOL_PREFIX : MIN_IPV6_POOL_PREFIX;
        int max = v4 ? MAX_IPV4_POOL_PREFIX : MAX_IPV6_POOL_PREFIX;
        if (pool.prefixLength() < min || pool.prefixLength() > max) {
            throw new BadRequestException("address pool " + pool + " must be an IPv4 network from /" + MIN_IPV4_POOL_PREFIX
                    + " to /" + MAX_IPV4_POOL_PREFIX + " (e.g. 10.8.0.0/24) or an IPv6 network from /" + MIN_IPV6_POOL_PREFIX
                    + " to /" + MAX_IPV6_POOL_PREFIX);
        }
        return pool;
    }

    static List<String> dns(List<String> texts) {
        if (texts == null) {
            return List.of();
        }
        if (texts.size() > MAX_DNS_SERVERS) {
            throw new BadRequestException("at most " + MAX_DNS_SERVERS + " DNS servers");
        }
        LinkedHashSet<String> servers = new LinkedHashSet<>();
        for (String text : texts) {
            Cidr cidr = CidrField.parse(text, "DNS server");
            if (cidr.prefixLength() != cidr.family().bits()) {
                throw new BadRequestException("DNS server " + cidr + " must be a single address, e.g. 10.8.0.1");
            }
            String literal = cidr.toString();
            servers.add(literal.substring(0, literal.indexOf('/')));
        }
        return List.copyOf(servers);
    }

    static List<String> routes(List<String> texts) {
        if (texts == null) {
            return List.of();
        }
        if (texts.size() > MAX_ROUTED_NETWORKS) {
            throw new BadRequestException("at most " + MAX_ROUTED_NETWORKS + " routed networks");
        }
        List<Cidr> networks = new ArrayList<>();
        for (String text : texts) {
            networks.add(CidrField.parseNetwork(text, "routed network"));
        }
        return Cidr.normalize(networks).stream().map(Cidr::toString).toList();
    }

    private static Duration between(Duration value, Duration min, Duration max, String what) {
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new BadRequestException(what + " must be between " + describe(min) + " and " + describe(max));
        }
        return value;
    }

    private static String describe(Duration duration) {
        if (duration.toDays() > 0 && duration.equals(Duration.ofDays(duration.toDays()))) {
            return duration.toDays() + (duration.toDays() == 1 ? " day" : " days");
        }
        return duration.toMinutes() + " minute" + (duration.toMinutes() == 1 ? "" : "s");
    }

    private static List<String> strings(ResultSet rs, String column) throws SQLException {
        return List.of((String[]) rs.getArray(column).getArray());
    }

    private static Optional<String> printableName(String name) {
        return name != null && name.matches("[a-z0-9._-]{1,63}") ? Optional.of(name.toLowerCase(Locale.ROOT)) : Optional.empty();
    }
}
