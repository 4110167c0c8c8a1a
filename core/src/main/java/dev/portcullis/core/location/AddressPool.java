package dev.portcullis.core.location;

import dev.portcullis.core.error.ConflictException;
import dev.portcullis.protocol.net.Cidr;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;

/**
 * Hands out device tunnel addresses from a location's pool: the first free host address, skipping
 * the network address, the IPv4 broadcast address, every address a gateway of the location uses
 * on the tunnel and the location's DNS servers (a device must never answer for the resolver).
 * <p>
 * Concurrency: allocation takes a transaction-scoped PostgreSQL advisory lock per location, so
 * concurrent registrations (on any number of core threads or, later, core instances) take turns:
 * each one reads what the previous one committed. {@code UNIQUE (location, address)} stays as the
 * backstop; should it ever fire, the registration fails rather than sharing an address.
 */
public final class AddressPool {

    /** Namespaces the advisory lock so it cannot collide with other users of advisory locks. */
    private static final String LOCK_PREFIX = "portcullis/address-pool/";

    private AddressPool() {
    }

    /**
     * Allocates the first free address of {@code pool} at {@code location} to the device and records
     * it; returns it as a host CIDR ({@code 10.8.0.2/32}). Must run inside the registration's transaction.
     *
     * @throws ConflictException if every address of the pool is taken
     */
    public static String allocate(Connection connection, String location, Cidr pool, UUID deviceId) throws SQLException {
        try (PreparedStatement lock = connection.prepareStatement("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))")) {
            lock.setString(1, LOCK_PREFIX + location);
            lock.execute();
        }
        Set<BigInteger> taken = new HashSet<>();
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT host(address) FROM device_addresses WHERE location = ?")) {
            select.setString(1, location);
            try (ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    taken.add(value(rs.getString(1)));
                }
            }
        }
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT tunnel_addresses FROM components WHERE role = 'GATEWAY' AND state <> 'REMOVED' AND location = ?")) {
            select.setString(1, location);
            try (ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    for (String address : (String[]) rs.getArray(1).getArray()) {
                        Cidr cidr = Cidr.parse(address);
                        if (cidr.family() == pool.family()) {
                            taken.add(value(withoutPrefix(cidr)));
                        }
                    }
                }
            }
        }
        try (PreparedStatement select = connection.prepareStatement("SELECT unnest(dns) FROM locations WHERE name = ?")) {
            select.setString(1, location);
            try (ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    // Validated as IP literals when the location was created or changed.
                    String dns = rs.getString(1);
                    if (dns.contains(":") == (pool.family() == Cidr.Family.IPV6)) {
                        taken.add(value(dns));
                    }
                }
            }
        }
        String address = firstFree(pool, taken).orElseThrow(() -> new ConflictException(
                "No tunnel address is free at location '" + location + "' (its pool " + pool + " is used up). "
                        + "Ask your administrator to enlarge the pool."));
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO device_addresses (device_id, location, address) VALUES (?, ?, ?::inet)")) {
            insert.setObject(1, deviceId);
            insert.setString(2, location);
            insert.setString(3, address);
            insert.executeUpdate();
        }
        return address;
    }

    /** The first host address of the pool not in {@code taken}, as a host CIDR. */
    static java.util.Optional<String> firstFree(Cidr pool, Set<BigInteger> taken) {
        boolean v4 = pool.family() == Cidr.Family.IPV4;
        int bits = pool.family().bits();
        BigInteger network = value(withoutPrefix(pool.network()));
        BigInteger size = BigInteger.ONE.shiftLeft(bits - pool.prefixLength());
        BigInteger first = network.add(BigInteger.ONE);
        // IPv4: the last address is the broadcast address. IPv6 has none.
        BigInteger last = network.add(size).subtract(v4 ? BigInteger.TWO : BigInteger.ONE);
        // At most taken.size() candidates can be taken, so this loop ends within taken.size() + 1 steps.
        for (BigInteger candidate = first; candidate.compareTo(last) <= 0; candidate = candidate.add(BigInteger.ONE)) {
            if (!taken.contains(candidate)) {
                return java.util.Optional.of(text(candidate, v4) + "/" + bits);
            }
        }
        return java.util.Optional.empty();
    }

    private static String withoutPrefix(Cidr cidr) {
        String text = cidr.toString();
        return text.substring(0, text.indexOf('/'));
    }

    /** An IP literal (already validated by {@link Cidr} or written by PostgreSQL) as a number; never a DNS lookup. */
    private static BigInteger value(String literal) {
        try {
            return new BigInteger(1, InetAddress.getByName(literal).getAddress());
        } catch (UnknownHostException e) {
            throw new IllegalStateException("not an IP literal", e);
        }
    }

    private static String text(BigInteger value, boolean v4) {
        int length = v4 ? 4 : 16;
        byte[] raw = value.toByteArray();
        byte[] fixed = new byte[length];
        int copy = Math.min(raw.length, length);
        System.arraycopy(raw, raw.length - copy, fixed, length - copy, copy);
        try {
            String literal = InetAddress.getByAddress(fixed).getHostAddress();
            // Canonical text (RFC 5952 for IPv6), as every other address core shows.
            return withoutPrefix(Cidr.parse(literal));
        } catch (UnknownHostException e) {
            throw new IllegalStateException("cannot form an address", e);
        }
    }
}
