package dev.portcullis.core.admin;

import static dev.portcullis.core.store.Database.timestamp;

import dev.portcullis.core.audit.Actor;
import dev.portcullis.core.audit.SecurityAction;
import dev.portcullis.core.audit.SecurityEvent;
import dev.portcullis.core.audit.SecurityEvents;
import dev.portcullis.core.error.BadRequestException;
import dev.portcullis.core.error.ConflictException;
import dev.portcullis.core.store.Database;
import java.security.MessageDigest;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admin API tokens, stored as SHA-256 hashes and checked in constant time. Creating one is recorded
 * as {@code admin_token.created} (its name only, never the token) in the transaction that stores it.
 */
public final class AdminTokens {

    private static final Logger LOG = LoggerFactory.getLogger(AdminTokens.class);
    static final String BOOTSTRAP_NAME = "bootstrap";
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?");
    /** Compared against when the id is unknown, so every failed check costs the same. */
    private static final byte[] NO_HASH = new byte[32];

    private final Database database;
    private final Clock clock;
    private final SecurityEvents events;

    public AdminTokens(Database database, Clock clock, SecurityEvents events) {
        this.database = database;
        this.clock = clock;
        this.events = Objects.requireNonNull(events, "events");
    }

    /** {@link #create(String, Actor)} by core itself: for core's own callers and tests. */
    public AdminToken create(String name) {
        return create(name, Actor.core());
    }

    /** Creates a named token for {@code actor}; the returned object is the only one that holds its secret. */
    public AdminToken create(String name, Actor actor) {
        Objects.requireNonNull(actor, "actor");
        if (name == null || !NAME.matcher(name).matches()) {
            throw new BadRequestException("token name must be 1 to 63 lower-case letters, digits, '.', '_' or '-'");
        }
        AdminToken token = AdminToken.mint(name);
        database.inTransaction(connection -> {
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO admin_tokens (id, name, token_hash, created_at) VALUES (?, ?, ?, ?)")) {
                insert.setString(1, token.id());
                insert.setString(2, name);
                insert.setBytes(3, token.secretHash());
                insert.setObject(4, timestamp(clock.instant()));
                insert.executeUpdate();
            } catch (SQLException e) {
                if (Database.isUniqueViolation(e)) {
                    throw new ConflictException("an admin token named '" + name + "' already exists");
                }
                throw e;
            }
            events.record(connection, created(name, actor));
            return null;
        });
        LOG.info("admin token '{}' (id {}) created", name, token.id());
        return token;
    }

    /**
     * On the very first start (no admin token was ever created) mints the bootstrap token and hands
     * it to {@code deliver} inside the same transaction: if delivering fails, no token exists.
     * Returns empty on every later start.
     */
    public Optional<AdminToken> createBootstrapIfFirstStart(Consumer<AdminToken> deliver) {
        AdminToken token = AdminToken.mint(BOOTSTRAP_NAME);
        boolean created = database.inTransaction(connection -> {
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO admin_tokens (id, name, token_hash, created_at) SELECT ?, ?, ?, ? "
                            + "WHERE NOT EXISTS (SELECT 1 FROM admin_tokens)")) {
                insert.setString(1, token.id());
                insert.setString(2, BOOTSTRAP_NAME);
                insert.setBytes(3, token.secretHash());
                insert.setObject(4, timestamp(clock.instant()));
                if (insert.executeUpdate() == 0) {
                    return false;
                }
            }
            events.record(connection, created(BOOTSTRAP_NAME, Actor.core()).with("bootstrap", true));
            deliver.accept(token);
            return true;
        });
        return created ? Optional.of(token) : Optional.empty();
    }

    /** {@code admin_token.created}: the name is the subject; the token (id and secret) stays out of the log. */
    private static SecurityEvent created(String name, Actor actor) {
        return SecurityEvent.success(SecurityAction.ADMIN_TOKEN_CREATED, actor, "admin_token:" + name);
    }

    /** The caller a bearer token belongs to, if it is a live token. */
    public Optional<AdminCaller> authenticate(String presentedText) {
        Optional<AdminToken.Presented> presented = AdminToken.Presented.parse(presentedText);
        if (presented.isEmpty()) {
            return Optional.empty();
        }
        String id = presented.get().id();
        Instant now = clock.instant();
        return database.inTransaction(connection -> {
            byte[] storedHash = NO_HASH;
            String name = null;
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT name, token_hash FROM admin_tokens WHERE id = ? AND revoked_at IS NULL")) {
                select.setString(1, id);
                try (ResultSet rs = select.executeQuery()) {
                    if (rs.next()) {
                        name = rs.getString("name");
                        storedHash = rs.getBytes("token_hash");
                    }
                }
            }
            boolean matches = MessageDigest.isEqual(presented.get().secretHash(), storedHash) && name != null;
            if (!matches) {
                return Optional.<AdminCaller>empty();
            }
            try (PreparedStatement touch = connection.prepareStatement(
                    "UPDATE admin_tokens SET last_used_at = ? WHERE id = ?")) {
                touch.setObject(1, timestamp(now));
                touch.setString(2, id);
                touch.executeUpdate();
            }
            return Optional.of(new AdminCaller(id, name));
        });
    }
}
