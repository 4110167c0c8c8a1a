package dev.portcullis.core.identity;

import static dev.portcullis.core.store.Database.instant;
import static dev.portcullis.core.store.Database.timestamp;

import dev.portcullis.core.audit.Actor;
import dev.portcullis.core.audit.SecurityAction;
import dev.portcullis.core.audit.SecurityEvent;
import dev.portcullis.core.audit.SecurityEvents;
import dev.portcullis.core.error.BadRequestException;
import dev.portcullis.core.error.ConflictException;
import dev.portcullis.core.location.Admissions;
import dev.portcullis.core.store.Database;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Users in PostgreSQL: created by admins (INVITED), made ACTIVE by completing enrollment, DISABLED
 * and deleted by admins. Disabling or deleting a user revokes their pending invites, ends their
 * enrollment and reset sessions, and evicts all their devices' tunnel sessions.
 */
public final class Users {

    /** WebAuthn user handles are 32 random bytes: unlinkable to the login, as the spec recommends. */
    static final int USER_HANDLE_BYTES = 32;
    /** Groups one admin call may put a new user into; more is a script gone wrong. */
    static final int MAX_GROUPS_AT_CREATION = 32;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String COLUMNS = "u.id, u.name, u.email, u.display_name, u.state, u.created_at, u.enrolled_at, "
            + "ARRAY(SELECT g.name FROM group_members gm JOIN groups g ON g.id = gm.group_id WHERE gm.user_id = u.id "
            + "ORDER BY g.name) AS groups";

    private final Database database;
    private final Clock clock;
    private final SecurityEvents events;
    private final TunnelEvictions evictions;

    public Users(Database database, Clock clock, SecurityEvents events, TunnelEvictions evictions) {
        this.database = database;
        this.clock = clock;
        this.events = events;
        this.evictions = evictions;
    }

    /** What an admin asks for; {@code displayName} defaults to the login. */
    public record NewUser(String name, String email, Optional<String> displayName, List<String> groups) {
    }

    /** A user with what admins need to help them: factors in place, pending invite, devices. Never a secret. */
    public record UserDetails(User user, boolean passwordSet, boolean totp, int webauthnCredentials, int recoveryCodesLeft,
                              Optional<Instant> inviteExpiresAt, List<Device> devices) {
    }

    public User create(NewUser request, Actor actor) {
        String name = IdentityNames.userName(request.name());
        String email = IdentityNames.email(request.email());
        String displayName = IdentityNames.displayName(request.displayName().orElse(name));
        List<String> groups = request.groups() == null ? List.of() : List.copyOf(new LinkedHashSet<>(request.groups()));
        if (groups.size() > MAX_GROUPS_AT_CREATION) {
            throw new BadRequestException("at most " + MAX_GROUPS_AT_CREATION + " groups at once");
        }
        groups.forEach(IdentityNames::groupName);
        byte[] handle = new byte[USER_HANDLE_BYTES];
        RANDOM.nextBytes(handle);
        UUID id = UUID.randomUUID();
        Instant now = clock.instant();
        return database.inTransaction(connection -> {
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO users (id, name, email, display_name, state, user_handle, created_at, updated_at) "
                            + "VALUES (?, ?, ?, ?, 'INVITED', ?, ?, ?)")) {
                insert.setObject(1, id);
                insert.setString(2, name);
                insert.setString(3, email);
                insert.setString(4, displayName);
                insert.setBytes(5, handle);
                insert.setObject(6, timestamp(now));
                insert.setObject(7, timestamp(now));
                insert.executeUpdate();
            } catch (SQLException e) {
                if (Database.isUniqueViolation(e)) {
                    String message = e.getMessage() == null ? "" : e.getMessage();
                    throw new ConflictException(message.contains("email")
                            ? "another user already has the e-mail address " + email
                            : "a user named '" + name + "' already exists");
                }
                throw e;
            }
            for (String group : groups) {
                try (PreparedStatement member = connection.prepareStatement(
                        "INSERT INTO group_members (group_id, user_id) SELECT id, ? FROM groups WHERE name = ?")) {
                    member.setObject(1, id);
                    member.setString(2, group);
                    if (member.executeUpdate() == 0) {
                        throw IdentityNames.noGroup(group);
                    }
                }
            }
            events.record(connection, SecurityEvent.success(SecurityAction.USER_CREATED, actor, SecurityEvent.user(name))
                    .with("groups", groups));
            return selectOne(connection, "u.id = ?", id).orElseThrow();
        });
    }

    public List<User> list() {
        return database.inTransaction(connection -> select(connection, "SELECT " + COLUMNS + " FROM users u ORDER BY u.name"));
    }

    public Optional<User> byName(String name) {
        if (!IdentityNames.isValidName(name)) {
            return Optional.empty();
        }
        return database.inTransaction(connection -> selectOne(connection, "u.name = ?", name));
    }

    public UserDetails details(String name) {
        if (!IdentityNames.isValidName(name)) {
            throw IdentityNames.noUser(name);
        }
        return database.inTransaction(connection -> {
            User user = selectOne(connection, "u.name = ?", name).orElseThrow(() -> IdentityNames.noUser(name));
            UUID id = UUID.fromString(user.id());
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT u.password_hash IS NOT NULL AS password_set, "
                            + "EXISTS (SELECT 1 FROM totp_credentials t WHERE t.user_id = u.id) AS totp, "
                            + "(SELECT count(*) FROM webauthn_credentials w WHERE w.user_id = u.id) AS webauthn, "
                            + "(SELECT count(*) FROM recovery_codes r WHERE r.user_id = u.id AND r.used_at IS NULL) AS codes, "
                            + "(SELECT max(i.expires_at) FROM invites i WHERE i.user_id = u.id AND i.redeemed_at IS NULL "
                            + "AND i.superseded_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > ?) AS invite_expires_at "
                            + "FROM users u WHERE u.id = ?")) {
                select.setObject(1, timestamp(clock.instant()));
                select.setObject(2, id);
                try (ResultSet rs = select.executeQuery()) {
                    rs.next();
                    return new UserDetails(user, rs.getBoolean("password_set"), rs.getBoolean("totp"), rs.getInt("webauthn"),
                            rs.getInt("codes"), Optional.ofNullable(instant(rs, "invite_expires_at")),
                            Devices.ofUser(connection, id));
                }
            }
        });
    }

    /** Disables the user: pending invites revoked, enrollment and reset sessions ended, tunnel sessions evicted. */
    public User disable(String name, Actor actor) {
        record Disabled(User user, List<WireGuardPublicKey> keys) {
        }
        Disabled disabled = database.inTransaction(connection -> {
            UUID id = lockId(connection, name);
            Instant now = clock.instant();
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE users SET state = 'DISABLED', updated_at = ? WHERE id = ?")) {
                update.setObject(1, timestamp(now));
                update.setObject(2, id);
                update.executeUpdate();
            }
            int invites = endPendingAccess(connection, id, now);
            List<WireGuardPublicKey> keys = Devices.keysOf(connection, id);
            events.record(connection, SecurityEvent.success(SecurityAction.USER_DISABLED, actor, SecurityEvent.user(name))
                    .with("invites_revoked", invites).with("devices", keys.size()));
            return new Disabled(selectOne(connection, "u.id = ?", id).orElseThrow(), keys);
        });
        evictions.evict(disabled.keys(), Admissions.EndReason.USER_DISABLED, actor);
        return disabled.user();
    }

    /** Lets a disabled user in again: ACTIVE if they had enrolled, else INVITED (a new invite is needed). */
    public User enable(String name, Actor actor) {
        return database.inTransaction(connection -> {
            UUID id = lockId(connection, name);
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE users SET state = CASE WHEN enrolled_at IS NULL THEN 'INVITED' ELSE 'ACTIVE' END, updated_at = ? "
                            + "WHERE id = ? AND state = 'DISABLED'")) {
                update.setObject(1, timestamp(clock.instant()));
                update.setObject(2, id);
                if (update.executeUpdate() == 1) {
                    events.record(connection, SecurityEvent.success(SecurityAction.USER_ENABLED, actor, SecurityEvent.user(name)));
                }
            }
            return selectOne(connection, "u.id = ?", id).orElseThrow();
        });
    }

    /** What unlocking found: whether the user had counted failures, and whether they were locked out. */
    public record Unlocked(User user, boolean hadFailures, boolean wasLocked) {
    }

    /**
     * Lifts the user's tunnel-MFA lockout and growing delay (the {@code mfa_failures} rows of the
     * user and of their devices: the person mistyped on their own laptop, and the laptop's count
     * locked with theirs), recording {@code tunnel.mfa.unlocked}. Source addresses' counts stay: an
     * admin vouches for a person and their devices, not for a network.
     */
    public Unlocked unlock(String name, Actor actor) {
        return database.inTransaction(connection -> {
            UUID id = lockId(connection, name);
            boolean had = false;
            boolean locked = false;
            try (PreparedStatement delete = connection.prepareStatement(
                    "DELETE FROM mfa_failures WHERE key = ? OR key IN (SELECT 'device:' || d.id FROM devices d "
                            + "WHERE d.user_id = ?) RETURNING locked")) {
                delete.setString(1, "user:" + id);
                delete.setObject(2, id);
                try (ResultSet rs = delete.executeQuery()) {
                    while (rs.next()) {
                        had = true;
                        locked |= rs.getBoolean("locked");
                    }
                }
            }
            events.record(connection, SecurityEvent.success(SecurityAction.TUNNEL_MFA_UNLOCKED, actor, SecurityEvent.user(name))
                    .with("was_locked", locked).with("had_failures", had));
            return new Unlocked(selectOne(connection, "u.id = ?", id).orElseThrow(), had, locked);
        });
    }

    /**
     * Deletes the user with everything they had: devices and their addresses, factors, invites,
     * sessions. The user is disabled first, so their tunnel sessions are evicted from the gateways
     * while core still has their rows (deleting cascades to the rows, and an eviction needs one),
     * and no new session can start between the eviction and the deletion.
     */
    public User delete(String name, Actor actor) {
        disable(name, actor);
        record Deleted(User user, List<WireGuardPublicKey> keys) {
        }
        Deleted deleted = database.inTransaction(connection -> {
            UUID id = lockId(connection, name);
            User user = selectOne(connection, "u.id = ?", id).orElseThrow();
            List<WireGuardPublicKey> keys = Devices.keysOf(connection, id);
            int invites = endPendingAccess(connection, id, clock.instant());
            try (PreparedStatement delete = connection.prepareStatement("DELETE FROM users WHERE id = ?")) {
                delete.setObject(1, id);
                delete.executeUpdate();
            }
            events.record(connection, SecurityEvent.success(SecurityAction.USER_DELETED, actor, SecurityEvent.user(name))
                    .with("invites_revoked", invites).with("devices", keys.size()));
            return new Deleted(user, keys);
        });
        return deleted.user();
    }

    // ---- helpers for the invite and enrollment ceremonies (inside their transactions) -----------------

    /** Revokes pending invites and ends open enrollment/reset sessions and reset tokens; returns the invites revoked. */
    static int endPendingAccess(Connection connection, UUID userId, Instant now) throws SQLException {
        int invites;
        try (PreparedStatement revoke = connection.prepareStatement(
                "UPDATE invites SET revoked_at = ? WHERE user_id = ? AND redeemed_at IS NULL AND superseded_at IS NULL "
                        + "AND revoked_at IS NULL")) {
            revoke.setObject(1, timestamp(now));
            revoke.setObject(2, userId);
            invites = revoke.executeUpdate();
        }
        try (PreparedStatement end = connection.prepareStatement(
                "UPDATE enrollment_sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL")) {
            end.setObject(1, timestamp(now));
            end.setObject(2, userId);
            end.executeUpdate();
        }
        try (PreparedStatement supersede = connection.prepareStatement(
                "UPDATE reset_tokens SET superseded_at = ? WHERE user_id = ? AND used_at IS NULL AND superseded_at IS NULL")) {
            supersede.setObject(1, timestamp(now));
            supersede.setObject(2, userId);
            supersede.executeUpdate();
        }
        return invites;
    }

    /** The id of the user, if they exist. */
    public static Optional<UUID> idOf(Connection connection, String name) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT id FROM users WHERE name = ?")) {
            select.setString(1, name);
            try (ResultSet rs = select.executeQuery()) {
                return rs.next() ? Optional.of(rs.getObject(1, UUID.class)) : Optional.empty();
            }
        }
    }

    /** Locks the user's row for the rest of the transaction; 404 if there is no such user. */
    public static UUID lockId(Connection connection, String name) throws SQLException {
        if (!IdentityNames.isValidName(name)) {
            throw IdentityNames.noUser(name);
        }
        try (PreparedStatement select = connection.prepareStatement("SELECT id FROM users WHERE name = ? FOR UPDATE")) {
            select.setString(1, name);
            try (ResultSet rs = select.executeQuery()) {
                if (!rs.next()) {
                    throw IdentityNames.noUser(name);
                }
                return rs.getObject(1, UUID.class);
            }
        }
    }

    public static Optional<User> byId(Connection connection, UUID id) throws SQLException {
        return selectOne(connection, "u.id = ?", id);
    }

    private static Optional<User> selectOne(Connection connection, String where, Object key) throws SQLException {
        List<User> found = select(connection, "SELECT " + COLUMNS + " FROM users u WHERE " + where, key);
        return found.stream().findFirst();
    }

    private static List<User> select(Connection connection, String sql, Object... parameters) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                select.setObject(i + 1, parameters[i]);
            }
            try (ResultSet rs = select.executeQuery()) {
                List<User> users = new ArrayList<>();
                while (rs.next()) {
                    users.add(new User(rs.getObject("id", UUID.class).toString(), rs.getString("name"), rs.getString("email"),
                            rs.getString("display_name"), UserState.valueOf(rs.getString("state")),
                            List.of((String[]) rs.getArray("groups").getArray()), instant(rs, "created_at"),
                            Optional.ofNullable(instant(rs, "enrolled_at"))));
                }
                return users;
            }
        }
    }
}
