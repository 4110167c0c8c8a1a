package dev.portcullis.core.tunnel;

import static dev.portcullis.core.store.Database.instant;
import static dev.portcullis.core.store.Database.timestamp;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Failed second factors per user, device and source address ({@code mfa_failures}), as
 * SESSION-API.md fixes them: after the n-th consecutive failure of a key the next attempt waits
 * 0, 1, 2, 4 seconds, and the 5th locks the key for 15 minutes. A request inside a delay is refused
 * and not counted. All of it runs in the caller's transaction, which holds the user's lock
 * ({@link #lockUser}) so that parallel guesses for one user are counted one after another.
 */
final class AttemptLimits {

    /**
     * Delay before the next attempt after the 1st to 4th failure. Someone who mistypes waits at most
     * seconds; a script gets four guesses, then the lock.
     */
    static final List<Duration> DELAYS = List.of(Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(2),
            Duration.ofSeconds(4));
    /** The failure that locks a key: one in 200,000 for a 6-digit code (within its 3-step window) before each lock. */
    static final int LOCK_AT = 5;
    /** How long a lock lasts: 4 guesses per 15 minutes keeps guessing a TOTP code at months per expected success. */
    static final Duration LOCK = Duration.ofMinutes(15);
    /** A failure older than this starts the count again. */
    static final Duration COUNT_WINDOW = Duration.ofMinutes(15);
    /**
     * A source address is often shared (an office NAT, a carrier-grade NAT, a relay): counting it
     * like a person would let one user's typos, or one attacker, lock everyone behind it out. An
     * address gets this many failures without any delay, then the same doubling delays (capped at
     * {@link #MAX_ADDRESS_DELAY}), and its lock only at {@link #ADDRESS_LOCK_AT}.
     */
    static final int ADDRESS_FREE_FAILURES = 10;
    static final int ADDRESS_LOCK_AT = 30;
    static final Duration MAX_ADDRESS_DELAY = Duration.ofSeconds(60);
    /** The key column's bound (80) less the "address:" prefix. */
    static final int MAX_ADDRESS_CHARS = 64;

    private AttemptLimits() {
    }

    /** What a failure counts against; the address key is left out when the edge-proxy reported none. */
    record Keys(UUID userId, UUID deviceId, Optional<String> address) {

        static Keys of(UUID userId, UUID deviceId, String sourceAddress) {
            String address = sourceAddress == null || sourceAddress.isBlank() || "-".equals(sourceAddress)
                    ? null : sourceAddress.length() > MAX_ADDRESS_CHARS ? sourceAddress.substring(0, MAX_ADDRESS_CHARS)
                    : sourceAddress;
            return new Keys(userId, deviceId, Optional.ofNullable(address));
        }

        String user() {
            return "user:" + userId;
        }

        String device() {
            return "device:" + deviceId;
        }

        List<String> all() {
            List<String> keys = new ArrayList<>(List.of(user(), device()));
            address.ifPresent(a -> keys.add("address:" + a));
            return keys;
        }
    }

    /** A key is blocked for {@code retryAfterSeconds} more (at least 1); {@code locked} when it is the 15-minute lock. */
    record Block(long retryAfterSeconds, boolean locked) {
    }

    /** A counted failure: attempts left before the lock (0 when locked), and the keys this failure locked. */
    record Counted(int attemptsLeft, List<String> newlyLocked, Optional<Block> lock) {
    }

    /** Serialises the second-factor checks of one user until the transaction ends. */
    static void lockUser(Connection connection, UUID userId) throws SQLException {
        try (PreparedStatement lock = connection.prepareStatement("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))")) {
            lock.setString(1, "portcullis/mfa/user:" + userId);
            lock.executeQuery().close();
        }
    }

    /** The longest block of any of the keys, if one is blocked now. */
    static Optional<Block> blocked(Connection connection, Keys keys, Instant now) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT max(blocked_until) AS until, bool_or(locked) AS locked FROM mfa_failures "
                        + "WHERE key = ANY (?) AND blocked_until > ?")) {
            select.setArray(1, connection.createArrayOf("text", keys.all().toArray()));
            select.setObject(2, timestamp(now));
            try (ResultSet rs = select.executeQuery()) {
                rs.next();
                Instant until = instant(rs, "until");
                if (until == null) {
                    return Optional.empty();
                }
                return Optional.of(new Block(secondsUntil(now, until), rs.getBoolean("locked")));
            }
        }
    }

    /** Counts one failure against every key and sets each key's delay or lock. */
    static Counted fail(Connection connection, Keys keys, Instant now) throws SQLException {
        int left = Integer.MAX_VALUE;
        List<String> newlyLocked = new ArrayList<>();
        for (String key : keys.all()) {
            int failures;
            try (PreparedStatement upsert = connection.prepareStatement(
                    "INSERT INTO mfa_failures AS f (key, failures, last_failure_at) VALUES (?, 1, ?) "
                            + "ON CONFLICT (key) DO UPDATE SET failures = CASE WHEN f.last_failure_at > ? "
                            + "THEN f.failures + 1 ELSE 1 END, last_failure_at = EXCLUDED.last_failure_at RETURNING failures")) {
                upsert.setString(1, key);
                upsert.setObject(2, timestamp(now));
                upsert.setObject(3, timestamp(now.minus(COUNT_WINDOW)));
                try (ResultSet rs = upsert.executeQuery()) {
                    rs.next();
                    failures = rs.getInt(1);
                }
            }
            boolean lock = failures >= lockAt(key);
            Duration delay = lock ? LOCK : delay(key, failures);
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE mfa_failures SET blocked_until = ?, locked = ? WHERE key = ?")) {
                update.setObject(1, delay.isZero() ? null : timestamp(now.plus(delay)));
                update.setBoolean(2, lock);
                update.setString(3, key);
                update.executeUpdate();
            }
            if (lock) {
                newlyLocked.add(key);
            }
            left = Math.min(left, Math.max(0, lockAt(key) - failures));
        }
        Optional<Block> lock = newlyLocked.isEmpty() ? Optional.empty()
                : Optional.of(new Block(LOCK.toSeconds(), true));
        return new Counted(left, List.copyOf(newlyLocked), lock);
    }

    private static boolean isAddress(String key) {
        return key.startsWith("address:");
    }

    static int lockAt(String key) {
        return isAddress(key) ? ADDRESS_LOCK_AT : LOCK_AT;
    }

    /** The delay after the {@code failures}-th failure of a key that is not locked by it. */
    static Duration delay(String key, int failures) {
        if (!isAddress(key)) {
            return DELAYS.get(failures - 1);
        }
        if (failures <= ADDRESS_FREE_FAILURES) {
            return Duration.ZERO;
        }
        int doublings = Math.min(failures - ADDRESS_FREE_FAILURES - 1, 6);
        Duration delay = Duration.ofSeconds(1L << doublings);
        return delay.compareTo(MAX_ADDRESS_DELAY) > 0 ? MAX_ADDRESS_DELAY : delay;
    }

    /** A success clears the user's and the device's failures; the address's stay. */
    static void clear(Connection connection, Keys keys) throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement("DELETE FROM mfa_failures WHERE key IN (?, ?)")) {
            delete.setString(1, keys.user());
            delete.setString(2, keys.device());
            delete.executeUpdate();
        }
    }

    static long secondsUntil(Instant now, Instant until) {
        long millis = Duration.between(now, until).toMillis();
        return Math.max(1, (millis + 999) / 1000);
    }
}
