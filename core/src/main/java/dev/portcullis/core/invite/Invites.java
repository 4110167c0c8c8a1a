package dev.portcullis.core.invite;

import static dev.portcullis.core.store.Database.instant;
import static dev.portcullis.core.store.Database.timestamp;

import dev.portcullis.core.audit.Actor;
import dev.portcullis.core.audit.SecurityAction;
import dev.portcullis.core.audit.SecurityEvent;
import dev.portcullis.core.audit.SecurityEvents;
import dev.portcullis.core.component.ComponentRegistry;
import dev.portcullis.core.component.PublicEdge;
import dev.portcullis.core.error.BadRequestException;
import dev.portcullis.core.error.ConflictException;
import dev.portcullis.core.identity.IdentityNames;
import dev.portcullis.core.identity.UserState;
import dev.portcullis.core.identity.Users;
import dev.portcullis.core.store.Database;
import dev.portcullis.enrollment.token.InviteToken;
import dev.portcullis.pki.enroll.InviteLink;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * Invites, in PostgreSQL. Issuing one is a short ceremony: check the user, choose the edge-proxy,
 * mint the token, supersede older invites, store the hash, return the link once. Claiming one is a
 * single conditional UPDATE, so a token is redeemed at most once however many present it at once.
 */
public final class Invites {

    /** A day: the user gets the link in working hours and can open it the same day. */
    public static final Duration DEFAULT_LIFETIME = Duration.ofHours(24);
    /** Shorter than an hour and the user may not even see the message in time. */
    public static final Duration MIN_LIFETIME = Duration.ofHours(1);
    /** A week covers a weekend and a holiday; a link lying around longer is a standing credential. */
    public static final Duration MAX_LIFETIME = Duration.ofDays(7);

    private final Database database;
    private final ComponentRegistry registry;
    private final Clock clock;
    private final SecurityEvents events;

    public Invites(Database database, ComponentRegistry registry, Clock clock, SecurityEvents events) {
        this.database = database;
        this.registry = registry;
        this.clock = clock;
        this.events = events;
    }

    /**
     * Issues an invite for the user. Older unredeemed invites stop working, and an enrollment
     * session opened with an older invite ends: the new link is the way in.
     *
     * @param via the edge-proxy the link points at; by default the only one with a public origin
     */
    public IssuedInvite issue(String userName, Optional<Duration> lifetime, Optional<String> via, Actor actor) {
        String name = IdentityNames.userName(userName);
        Duration validLifetime = lifetime(lifetime.orElse(DEFAULT_LIFETIME));
        // Step 1: the user is waiting to enroll (checked again, under lock, when the invite is stored).
        checkInvitable(name, database.inTransaction(connection ->
                Users.byId(connection, Users.lockId(connection, name)).orElseThrow().state()));
        // Step 2: the edge-proxy the link points at, with its origin and pin.
        PublicEdge edge = InviteOrigin.choose(registry.publicEdges(), via);
        InviteToken token = InviteToken.mint();
        InviteLink link = InviteOrigin.link(edge, token);
        Instant now = clock.instant();
        Instant expiresAt = now.plus(validLifetime);
        database.inTransaction(connection -> {
            // Step 3: supersede older invites, store this one's hash, record the event; the link goes back once.
            UUID userId = Users.lockId(connection, name);
            checkInvitable(name, Users.byId(connection, userId).orElseThrow().state());
            try (PreparedStatement supersede = connection.prepareStatement(
                    "UPDATE invites SET superseded_at = ? WHERE user_id = ? AND redeemed_at IS NULL AND superseded_at IS NULL "
                            + "AND revoked_at IS NULL");
                 PreparedStatement endSessions = connection.prepareStatement(
                         "UPDATE enrollment_sessions SET ended_at = ? WHERE user_id = ? AND kind = 'ENROLL' AND ended_at IS NULL");
                 PreparedStatement insert = connection.prepareStatement(
                         "INSERT INTO invites (token_hash, user_id, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)")) {
                supersede.setObject(1, timestamp(now));
                supersede.setObject(2, userId);
                int superseded = supersede.executeUpdate();
                endSessions.setObject(1, timestamp(now));
                endSessions.setObject(2, userId);
                endSessions.executeUpdate();
                insert.setBytes(1, token.sha256());
                insert.setObject(2, userId);
                insert.setString(3, actor.who().length() > 63 ? actor.who().substring(0, 63) : actor.who());
                insert.setObject(4, timestamp(now));
                insert.setObject(5, timestamp(expiresAt));
                insert.executeUpdate();
                events.record(connection, SecurityEvent.success(SecurityAction.INVITE_ISSUED, actor, SecurityEvent.user(name))
                        .with("expires_at", expiresAt).with("via", edge.name()).with("superseded", superseded));
            }
            return null;
        });
        return new IssuedInvite(name, link, expiresAt, edge.name());
    }

    /**
     * Claims the invite: the one conditional write that makes it single-use. Returns the invited
     * user's id if the token was a live invite of a user still waiting to enroll; empty for an
     * unknown, redeemed, superseded, revoked or expired token and for a user who is not INVITED.
     */
    public static Optional<UUID> claim(Connection connection, InviteToken token, Instant now) throws SQLException {
        try (PreparedStatement claim = connection.prepareStatement(
                "UPDATE invites SET redeemed_at = ? WHERE token_hash = ? AND redeemed_at IS NULL AND superseded_at IS NULL "
                        + "AND revoked_at IS NULL AND expires_at > ? AND EXISTS (SELECT 1 FROM users u "
                        + "WHERE u.id = invites.user_id AND u.state = 'INVITED') RETURNING user_id")) {
            claim.setObject(1, timestamp(now));
            claim.setBytes(2, token.sha256());
            claim.setObject(3, timestamp(now));
            try (ResultSet rs = claim.executeQuery()) {
                return rs.next() ? Optional.of(rs.getObject(1, UUID.class)) : Optional.empty();
            }
        }
    }

    /** Why a claim failed, for the audit event only (the caller always gets the same neutral answer). */
    public static Refusal whyRefused(Connection connection, InviteToken token, Instant now) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT i.redeemed_at, i.superseded_at, i.revoked_at, i.expires_at, u.name, u.state FROM invites i "
                        + "JOIN users u ON u.id = i.user_id WHERE i.token_hash = ?")) {
            select.setBytes(1, token.sha256());
            try (ResultSet rs = select.executeQuery()) {
                if (!rs.next()) {
                    return new Refusal(Optional.empty(), "unknown");
                }
                Optional<String> user = Optional.of(rs.getString("name"));
                if (instant(rs, "redeemed_at") != null) {
                    return new Refusal(user, "already redeemed");
                }
                if (instant(rs, "superseded_at") != null) {
                    return new Refusal(user, "superseded");
                }
                if (instant(rs, "revoked_at") != null) {
                    return new Refusal(user, "revoked");
                }
                if (!instant(rs, "expires_at").isAfter(now)) {
                    return new Refusal(user, "expired");
                }
                return new Refusal(user, "user is " + rs.getString("state").toLowerCase(java.util.Locale.ROOT));
            }
        }
    }

    /** Why an invite was refused: the user it was for (if any) and a reason for the audit log. */
    public record Refusal(Optional<String> user, String reason) {
    }

    private static void checkInvitable(String name, UserState state) {
        if (state == UserState.DISABLED) {
            throw new ConflictException("user '" + name + "' is disabled; enable them first (portcullis-admin user enable "
                    + name + ")");
        }
        if (state == UserState.ACTIVE) {
            throw new ConflictException("user '" + name + "' has already enrolled; a forgotten password is reset on the "
                    + "edge-proxy's /forgot page");
        }
    }

    static Duration lifetime(Duration lifetime) {
        if (lifetime.compareTo(MIN_LIFETIME) < 0 || lifetime.compareTo(MAX_LIFETIME) > 0) {
            throw new BadRequestException("an invite must expire between " + MIN_LIFETIME.toHours() + " hour and "
                    + MAX_LIFETIME.toDays() + " days from now");
        }
        return lifetime;
    }
}
