package dev.portcullis.core.location;

import com.google.protobuf.ByteString;
import dev.portcullis.core.error.BadRequestException;
import dev.portcullis.core.error.ConflictException;
import dev.portcullis.core.error.NotFoundException;
import dev.portcullis.core.audit.Actor;
import dev.portcullis.core.audit.SecurityAction;
import dev.portcullis.core.audit.SecurityEvent;
import dev.portcullis.core.audit.SecurityEvents;
import dev.portcullis.core.link.RefusedUpdateException;
import dev.portcullis.core.store.Database;
import dev.portcullis.pki.wireguard.PresharedKey;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import dev.portcullis.protocol.net.Cidr;
import dev.portcullis.protocol.v1.AclPolicy;
import dev.portcullis.protocol.v1.ConfigUpdate;
import dev.portcullis.protocol.v1.EvictionReason;
import dev.portcullis.protocol.v1.PeerAdmission;
import dev.portcullis.protocol.v1.PeerEviction;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admits device peers to a location's gateways and evicts them, and changes the location's ACL.
 * Each change is stored first (core's truth), then pushed to every adopted gateway of the
 * location, each push bumping that gateway's configuration version; then core waits, bounded,
 * for every gateway's acknowledgement.
 *
 * <p>An admission's preshared key is released only when every gateway acknowledged: otherwise the
 * device could dial a gateway that does not know it yet. If any gateway fails or times out, the
 * admission is <em>rolled back</em> (deleted and evicted from the gateways that did take it):
 * a session whose key nobody will ever be shown is dead weight on every gateway until its
 * not-after, and core's list of admitted peers should be exactly the sessions devices can use.
 * The caller may simply admit again. Evictions and ACL changes are never rolled back: the stored
 * state is the truth and a gateway that missed the push gets it in its next snapshot.
 *
 * <p>Every change is recorded on the audit log in a transaction of the change: an ACL revision as
 * {@code location.acl.changed} where it is stored; an admin's admission as {@code peer.admitted} once
 * every gateway acknowledged (in the transaction that finds the row still there), an admin's
 * eviction as {@code peer.evicted} where the row is deleted. MFA tunnel sessions are recorded
 * through {@link SessionStart} and {@link SessionEnd} instead. No record carries a preshared key.
 */
public final class Admissions {

    private static final Logger LOG = LoggerFactory.getLogger(Admissions.class);
    /**
     * How long core waits for every gateway to acknowledge. A gateway acknowledges once its device
     * reflects the change, normally within milliseconds; five seconds absorbs a busy gateway and a
     * slow WAN link while not leaving the admin (or, later, a user who just passed MFA) waiting on
     * a gateway that is down.
     */
    public static final Duration ACK_TIMEOUT = Duration.ofSeconds(5);
    /** A working day: the tunnel outlives a meeting-heavy day without a second MFA prompt. */
    public static final Duration DEFAULT_LIFETIME = Duration.ofHours(8);
    /** Shorter than this and the session ends before a device could finish its handshake. */
    public static final Duration MIN_LIFETIME = Duration.ofMinutes(1);
    /** A lost device stays a peer at most this long after its last MFA, even if nobody revokes it. */
    public static final Duration MAX_LIFETIME = Duration.ofDays(7);
    private static final int SESSION_ID_BYTES = 16;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Database database;
    private final LocationStore store;
    private final GatewayLinks links;
    private final UpdateOrder order;
    private final Clock clock;
    private final Duration ackTimeout;
    private final SecurityEvents events;

    public Admissions(Database database, LocationStore store, GatewayLinks links, UpdateOrder order, Clock clock,
                      SecurityEvents events) {
        this(database, store, links, order, clock, events, ACK_TIMEOUT);
    }

    /** @param events where admin admissions, evictions and ACL changes are recorded (tunnel sessions bring their own) */
    public Admissions(Database database, LocationStore store, GatewayLinks links, UpdateOrder order, Clock clock,
                      SecurityEvents events, Duration ackTimeout) {
        this.events = java.util.Objects.requireNonNull(events, "events");
        this.database = database;
        this.store = store;
        this.links = links;
        this.order = order;
        this.clock = clock;
        this.ackTimeout = ackTimeout;
    }

    /** How one gateway took a change. {@code error} is safe to show an admin. */
    public record GatewayOutcome(String componentId, String name, boolean acknowledged, Optional<String> error) {
    }

    /**
     * The result of an admission. {@code presharedKey} is present only if every gateway
     * acknowledged; this object is the only place it exists in the clear, and only once.
     */
    public record Admission(String sessionId, WireGuardPublicKey publicKey, List<String> allowedIps, Instant notAfter,
                            Optional<PresharedKey> presharedKey, List<GatewayOutcome> gateways) {
        public boolean admitted() {
            return presharedKey.isPresent();
        }
    }

    public record Eviction(String sessionId, List<GatewayOutcome> gateways) {
    }

    public record AclChange(AclPolicy policy, List<GatewayOutcome> gateways) {
    }

    // ---- admit ----------------------------------------------------------------------------------

    /** {@link #admit(String, WireGuardPublicKey, List, Duration, Actor)} by core itself: for core's own callers and tests. */
    public Admission admit(String location, WireGuardPublicKey publicKey, List<String> allowedIps, Duration lifetime) {
        return admit(location, publicKey, allowedIps, lifetime, Actor.core());
    }

    /**
     * The admission ceremony: check, mint the session, store and push, wait, release the key or roll
     * back. Recorded as {@code peer.admitted} by {@code actor} once every gateway acknowledged (and
     * the session's row is still there), or with outcome failed when it was rolled back.
     */
    public Admission admit(String location, WireGuardPublicKey publicKey, List<String> allowedIps, Duration lifetime,
                           Actor actor) {
        java.util.Objects.requireNonNull(actor, "actor");
        return admit(location, publicKey, allowedIps, lifetime, Optional.empty(), actor);
    }

    /**
     * How an MFA tunnel session's admission is stored and recorded: the row carries its owner, and
     * {@code tunnel.session.admitted} is recorded, by the actor, once every gateway acknowledged, in
     * the transaction that locks the session's row and finds it still there.
     */
    public record SessionStart(LocationStore.SessionOwner owner, Actor actor, SecurityEvents events) {
        public SessionStart {
            java.util.Objects.requireNonNull(owner, "owner");
            java.util.Objects.requireNonNull(actor, "actor");
            java.util.Objects.requireNonNull(events, "events");
        }
    }

    /**
     * Admits a user's device after its MFA: as {@link #admit(String, WireGuardPublicKey, List, Duration)},
     * with the owner stored on the row and the admission recorded. If the row was replaced or ended
     * between the push and the acknowledgements, no key is released.
     */
    public Admission admit(String location, WireGuardPublicKey publicKey, List<String> allowedIps, Duration lifetime,
                           SessionStart start) {
        return admit(location, publicKey, allowedIps, lifetime, Optional.of(start), start.actor());
    }

    /** {@code admin} records {@code peer.admitted} when there is no {@code start} (an admin's direct admission). */
    private Admission admit(String location, WireGuardPublicKey publicKey, List<String> allowedIps, Duration lifetime,
                            Optional<SessionStart> start, Actor admin) {
        String validLocation = LocationName.valid(location);
        List<String> validIps = allowedIps(allowedIps);
        Duration validLifetime = lifetime(lifetime);
        checkUsable(publicKey);

        PresharedKey psk = PresharedKey.generate();
        Instant now = clock.instant();
        PeerAdmission admission = PeerAdmission.newBuilder()
                .setPublicKey(ByteString.copyFrom(publicKey.bytes()))
                .addAllAllowedIps(validIps)
                .setNotAfterUnixMillis(now.plus(validLifetime).truncatedTo(ChronoUnit.MILLIS).toEpochMilli())
                .setSessionId(newSessionId())
                .build();

        List<Push> pushes = order.inOrder(() -> {
            List<LocationStore.Bumped> gateways = database.inTransaction(connection -> {
                List<String> ids = LocationStore.lockGateways(connection, validLocation);
                if (ids.isEmpty()) {
                    throw new ConflictException("location '" + validLocation + "' has no adopted gateway: nothing could admit the peer");
                }
                LocationStore.deleteExpired(connection, validLocation, now);
                if (LocationStore.isGatewayKey(connection, validLocation, publicKey)) {
                    throw new BadRequestException("that public key is a gateway's own key at this location");
                }
                checkNoOverlap(validIps, LocationStore.allowedIpsOfOthers(connection, validLocation, publicKey));
                store.upsertPeer(connection, validLocation, admission, psk, now, start.map(SessionStart::owner));
                return LocationStore.bumpVersions(connection, ids, now);
            });
            PeerAdmission withKey = admission.toBuilder().setPresharedKey(ByteString.copyFrom(psk.bytes())).build();
            return send(gateways, b -> b.setAdmit(withKey));
        });
        List<GatewayOutcome> outcomes = await(pushes);
        Instant notAfter = Instant.ofEpochMilli(admission.getNotAfterUnixMillis());
        if (outcomes.stream().allMatch(GatewayOutcome::acknowledged)) {
            boolean recorded = start.isPresent()
                    ? recordStart(validLocation, publicKey, admission.getSessionId(), notAfter, start.get())
                    : recordAdmitted(validLocation, publicKey, admission.getSessionId(), notAfter,
                            peerAdmitted(admin, validLocation, publicKey, admission.getSessionId(), validLifetime, notAfter,
                                    validIps, outcomes));
            if (!recorded) {
                LOG.warn("location '{}': peer {} not admitted (session {}): replaced or ended while the gateways confirmed it",
                        validLocation, publicKey, admission.getSessionId());
                return new Admission(admission.getSessionId(), publicKey, validIps, notAfter, Optional.empty(), outcomes);
            }
            LOG.info("location '{}': peer {} admitted (session {}, until {}) by {} gateway(s)", validLocation, publicKey,
                    admission.getSessionId(), notAfter, outcomes.size());
            return new Admission(admission.getSessionId(), publicKey, validIps, notAfter, Optional.of(psk), outcomes);
        }
        LOG.warn("location '{}': peer {} not admitted (session {}): {}; rolling back", validLocation, publicKey,
                admission.getSessionId(), describe(outcomes));
        Optional<SecurityEvent> failed = start.isPresent() ? Optional.empty() : Optional.of(new SecurityEvent(
                SecurityAction.PEER_ADMITTED, admin, peer(publicKey), SecurityEvent.Outcome.FAILED, null)
                .with("location", validLocation).with("session", admission.getSessionId())
                .with("reason", "not acknowledged by every gateway; rolled back")
                .with("gateways_missing", String.join(",", outcomes.stream().filter(o -> !o.acknowledged())
                        .map(GatewayOutcome::name).toList())));
        rollBack(validLocation, publicKey, admission.getSessionId(), failed);
        return new Admission(admission.getSessionId(), publicKey, validIps, notAfter, Optional.empty(), outcomes);
    }

    /**
     * Records {@code tunnel.session.admitted} with the session's row locked; false if the row is gone
     * (a newer admission replaced it, or it was evicted). If recording fails, the admission is rolled back.
     */
    private boolean recordStart(String location, WireGuardPublicKey publicKey, String sessionId, Instant notAfter,
                                SessionStart start) {
        try {
            return database.inTransaction(connection -> {
                if (!LocationStore.lockSession(connection, location, publicKey, sessionId)) {
                    return false;
                }
                LocationStore.SessionOwner owner = start.owner();
                start.events().record(connection, SecurityEvent.success(SecurityAction.TUNNEL_SESSION_ADMITTED, start.actor(),
                                SecurityEvent.device(owner.user(), owner.device()))
                        .with("location", location).with("session", sessionId).with("method", owner.method())
                        .with("not_after", notAfter));
                return true;
            });
        } catch (RuntimeException e) {
            rollBack(location, publicKey, sessionId, Optional.empty());
            throw e;
        }
    }

    /**
     * Records an admin's {@code peer.admitted} with the session's row locked; false if the row is gone.
     * If recording fails, the admission is rolled back.
     */
    private boolean recordAdmitted(String location, WireGuardPublicKey publicKey, String sessionId, Instant notAfter,
                                   SecurityEvent admitted) {
        try {
            return database.inTransaction(connection -> {
                if (!LocationStore.lockSession(connection, location, publicKey, sessionId)) {
                    return false;
                }
                events.record(connection, admitted);
                return true;
            });
        } catch (RuntimeException e) {
            rollBack(location, publicKey, sessionId, Optional.empty());
            throw e;
        }
    }

    /** {@code peer.admitted}: subject {@code peer:<public key>}; never the preshared key. */
    private static SecurityEvent peerAdmitted(Actor actor, String location, WireGuardPublicKey publicKey, String sessionId,
                                              Duration lifetime, Instant notAfter, List<String> allowedIps,
                                              List<GatewayOutcome> gateways) {
        return SecurityEvent.success(SecurityAction.PEER_ADMITTED, actor, peer(publicKey))
                .with("location", location).with("public_key", publicKey.base64()).with("session", sessionId)
                .with("lifetime_seconds", lifetime.toSeconds()).with("not_after", notAfter)
                .with("allowed_ips", String.join(",", allowedIps)).with("gateways", gateways.size());
    }

    /** The subject of an admin's peer events. */
    private static String peer(WireGuardPublicKey publicKey) {
        return "peer:" + publicKey.base64();
    }

    /**
     * Deletes the session (unless a newer admission already replaced it) and evicts it where it went;
     * {@code failure}, if given, is recorded in the transaction of the delete.
     */
    private void rollBack(String location, WireGuardPublicKey publicKey, String sessionId, Optional<SecurityEvent> failure) {
        List<Push> pushes = order.inOrder(() -> {
            Instant now = clock.instant();
            Optional<List<LocationStore.Bumped>> gateways = database.inTransaction(connection -> {
                List<String> ids = LocationStore.lockGateways(connection, location);
                if (failure.isPresent()) {
                    events.record(connection, failure.get());
                }
                if (LocationStore.deletePeer(connection, location, publicKey, Optional.of(sessionId)).isEmpty()) {
                    return Optional.<List<LocationStore.Bumped>>empty();
                }
                return Optional.of(LocationStore.bumpVersions(connection, ids, now));
            });
            return gateways.map(bumped -> send(bumped, b -> b.setEvict(eviction(publicKey, sessionId)))).orElse(List.of());
        });
        // Best effort: a gateway that misses this eviction gets a snapshot without the peer on reconnect.
        await(pushes);
    }

    // ---- evict ----------------------------------------------------------------------------------

    /**
     * Why core ends a tunnel session before its not-after. {@link #text()} is the audit record's
     * {@code reason}; the gateways are told "revoked" whatever the reason (the wire has no finer one).
     */
    public enum EndReason {
        REVOKED, IDLE, ENDPOINT_CHANGED, DEVICE_DISABLED, USER_DISABLED, POLICY_CHANGED;

        public String text() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * How an eviction is recorded: {@code tunnel.session.evicted} with the reason, by the actor, on
     * the audit log, in the transaction that deletes the row.
     */
    public record SessionEnd(EndReason reason, Actor actor, SecurityEvents events) {
        public SessionEnd {
            java.util.Objects.requireNonNull(reason, "reason");
            java.util.Objects.requireNonNull(actor, "actor");
            java.util.Objects.requireNonNull(events, "events");
        }
    }

    /** One session to end: the device key at the location; only the named session, if one is named (a newer one survives). */
    public record Target(WireGuardPublicKey publicKey, Optional<String> sessionId) {
    }

    /** {@link #evict(String, WireGuardPublicKey, Actor)} by core itself: for core's own callers and tests. */
    public Eviction evict(String location, WireGuardPublicKey publicKey) {
        return evict(location, publicKey, Actor.core());
    }

    /**
     * An admin ends a peer's admission at a location now: deleted and recorded as {@code peer.evicted}
     * by {@code actor} in one transaction, then evicted from every gateway.
     */
    public Eviction evict(String location, WireGuardPublicKey publicKey, Actor actor) {
        java.util.Objects.requireNonNull(actor, "actor");
        String validLocation = LocationName.valid(location);
        return end(validLocation, List.of(new Target(publicKey, Optional.empty())), Optional.empty(), actor).stream()
                .findFirst()
                .orElseThrow(() -> new NotFoundException(
                        "peer " + publicKey + " has no live admission at location '" + validLocation + "'"));
    }

    /**
     * Ends one session now with a reason: the row is deleted and {@code tunnel.session.evicted}
     * recorded in one transaction, then the eviction goes to every gateway. Empty if there is no
     * live row (or not the named session): someone else ended it first.
     */
    public Optional<Eviction> evict(String location, WireGuardPublicKey publicKey, Optional<String> sessionId, SessionEnd end) {
        return end(LocationName.valid(location), List.of(new Target(publicKey, sessionId)), Optional.of(end), end.actor())
                .stream().findFirst();
    }

    /** Ends several sessions of one location at once (a policy change): one transaction, then one push per session and gateway. */
    public List<Eviction> evictAll(String location, List<Target> targets, SessionEnd end) {
        return end(LocationName.valid(location), List.copyOf(targets), Optional.of(end), end.actor());
    }

    /** Records {@code tunnel.session.evicted} per row with {@code end}, or else {@code peer.evicted} by {@code admin}. */
    private List<Eviction> end(String location, List<Target> targets, Optional<SessionEnd> end, Actor admin) {
        Instant now = clock.instant();
        record Deleted(LocationStore.DeletedPeer row, List<LocationStore.Bumped> gateways) {
        }
        record Sent(LocationStore.AdmittedPeer peer, List<Push> pushes) {
        }
        List<Sent> sent = order.inOrder(() -> {
            List<Deleted> deleted = database.inTransaction(connection -> {
                List<String> ids = LocationStore.lockGateways(connection, location);
                List<Deleted> rows = new ArrayList<>();
                for (Target target : targets) {
                    Optional<LocationStore.DeletedPeer> row =
                            LocationStore.deleteLiveSession(connection, location, target.publicKey(), target.sessionId(), now);
                    if (row.isEmpty()) {
                        continue;
                    }
                    if (end.isPresent()) {
                        end.get().events().record(connection, evicted(location, row.get(), end.get()));
                    } else {
                        events.record(connection, peerEvicted(location, row.get(), admin));
                    }
                    rows.add(new Deleted(row.get(), LocationStore.bumpVersions(connection, ids, now)));
                }
                return rows;
            });
            List<Sent> pushed = new ArrayList<>(deleted.size());
            for (Deleted gone : deleted) {
                LocationStore.AdmittedPeer peer = gone.row().peer();
                pushed.add(new Sent(peer, send(gone.gateways(), b -> b.setEvict(eviction(peer.publicKey(), peer.sessionId())))));
            }
            return pushed;
        });
        List<Eviction> evictions = new ArrayList<>(sent.size());
        for (Sent one : sent) {
            List<GatewayOutcome> outcomes = await(one.pushes());
            LOG.info("location '{}': peer {} evicted (session {}{}): {}", location, one.peer().publicKey(),
                    one.peer().sessionId(), end.map(e -> ", " + e.reason().text()).orElse(""), describe(outcomes));
            evictions.add(new Eviction(one.peer().sessionId(), outcomes));
        }
        return evictions;
    }

    /** {@code tunnel.session.evicted}: subject {@code session:<id>}, details location, user, device, method, reason. */
    private static SecurityEvent evicted(String location, LocationStore.DeletedPeer row, SessionEnd end) {
        SecurityEvent event = SecurityEvent.success(SecurityAction.TUNNEL_SESSION_EVICTED, end.actor(),
                "session:" + row.peer().sessionId()).with("location", location);
        if (row.owner().isPresent()) {
            LocationStore.SessionOwner owner = row.owner().get();
            event = event.with("user", owner.user()).with("device", owner.device()).with("method", owner.method());
        }
        return event.with("reason", end.reason().text());
    }

    /** {@code peer.evicted}: subject {@code peer:<public key>}, details location, session (and its owner, if it had one). */
    private static SecurityEvent peerEvicted(String location, LocationStore.DeletedPeer row, Actor actor) {
        SecurityEvent event = SecurityEvent.success(SecurityAction.PEER_EVICTED, actor, peer(row.peer().publicKey()))
                .with("location", location).with("public_key", row.peer().publicKey().base64())
                .with("session", row.peer().sessionId());
        if (row.owner().isPresent()) {
            LocationStore.SessionOwner owner = row.owner().get();
            event = event.with("user", owner.user()).with("device", owner.device()).with("method", owner.method());
        }
        return event;
    }

    // ---- ACL ------------------------------------------------------------------------------------

    /** {@link #setAcl(String, AclPolicy, Actor)} by core itself: for core's own callers and tests. */
    public AclChange setAcl(String location, AclPolicy policy) {
        return setAcl(location, policy, Actor.core());
    }

    /**
     * Stores the policy as the location's next revision and pushes it to every gateway of the
     * location. Recorded as {@code location.acl.changed} (revision, rule count) by {@code actor} in
     * the transaction that stores it.
     */
    public AclChange setAcl(String location, AclPolicy policy, Actor actor) {
        java.util.Objects.requireNonNull(actor, "actor");
        java.util.Objects.requireNonNull(policy, "policy");
        String validLocation = LocationName.valid(location);
        Instant now = clock.instant();
        record Stored(AclPolicy policy, List<Push> pushes) {
        }
        Stored stored = order.inOrder(() -> {
            record Written(AclPolicy policy, List<LocationStore.Bumped> gateways) {
            }
            Written written = database.inTransaction(connection -> {
                List<String> ids = LocationStore.lockGateways(connection, validLocation);
                AclPolicy withRevision = LocationStore.storeAcl(connection, validLocation, policy, now);
                events.record(connection, SecurityEvent.success(SecurityAction.LOCATION_ACL_CHANGED, actor,
                                "location:" + validLocation)
                        .with("revision", withRevision.getRevision()).with("rules", withRevision.getRulesCount())
                        .with("masquerade_destinations", withRevision.getMasqueradeDestinationsCount())
                        .with("gateways", ids.size()));
                return new Written(withRevision, LocationStore.bumpVersions(connection, ids, now));
            });
            return new Stored(written.policy(), send(written.gateways(), b -> b.setAcl(written.policy())));
        });
        List<GatewayOutcome> outcomes = await(stored.pushes());
        LOG.info("location '{}': ACL revision {} ({} rules) stored: {}", validLocation, stored.policy().getRevision(),
                stored.policy().getRulesCount(), describe(outcomes));
        return new AclChange(stored.policy(), outcomes);
    }

    // ---- steps ------------------------------------------------------------------------------------

    private record Push(LocationStore.Bumped gateway, CompletableFuture<Void> acknowledged) {
    }

    private List<Push> send(List<LocationStore.Bumped> gateways, Function<ConfigUpdate.Builder, ConfigUpdate.Builder> change) {
        List<Push> pushes = new ArrayList<>(gateways.size());
        for (LocationStore.Bumped gateway : gateways) {
            ConfigUpdate update = change.apply(ConfigUpdate.newBuilder()
                    .setBaseVersion(gateway.baseVersion()).setVersion(gateway.version())).build();
            CompletableFuture<Void> acknowledged;
            try {
                acknowledged = links.pushUpdate(gateway.componentId(), update);
            } catch (RuntimeException e) {
                acknowledged = CompletableFuture.failedFuture(e);
            }
            pushes.add(new Push(gateway, acknowledged));
        }
        return pushes;
    }

    /** Waits for every push, all against one deadline. */
    private List<GatewayOutcome> await(List<Push> pushes) {
        long deadline = System.nanoTime() + ackTimeout.toNanos();
        List<GatewayOutcome> outcomes = new ArrayList<>(pushes.size());
        for (Push push : pushes) {
            Optional<String> error;
            try {
                push.acknowledged().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                error = Optional.empty();
            } catch (TimeoutException e) {
                error = Optional.of("no acknowledgement within " + ackTimeout.toMillis() + " ms");
            } catch (ExecutionException e) {
                error = Optional.of(safeMessage(e.getCause()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                error = Optional.of("interrupted while waiting");
            }
            outcomes.add(new GatewayOutcome(push.gateway().componentId(), push.gateway().name(), error.isEmpty(), error));
        }
        return outcomes;
    }

    /** The link's refusals carry admin-safe messages; anything else is summarized by kind only. */
    private static String safeMessage(Throwable failure) {
        if (failure instanceof RefusedUpdateException && failure.getMessage() != null) {
            return failure.getMessage();
        }
        return "push failed (" + (failure == null ? "unknown" : failure.getClass().getSimpleName()) + ")";
    }

    private static PeerEviction eviction(WireGuardPublicKey publicKey, String sessionId) {
        return PeerEviction.newBuilder()
                .setPublicKey(ByteString.copyFrom(publicKey.bytes()))
                .setReason(EvictionReason.EVICTION_REASON_REVOKED)
                .setSessionId(sessionId)
                .build();
    }

    static List<String> allowedIps(List<String> texts) {
        if (texts == null || texts.isEmpty()) {
            throw new BadRequestException("at least one allowed IP is required (the device's tunnel address, e.g. 10.80.0.2/32)");
        }
        if (texts.size() > LocationStore.MAX_ALLOWED_IPS) {
            throw new BadRequestException("at most " + LocationStore.MAX_ALLOWED_IPS + " allowed IPs per peer");
        }
        LinkedHashSet<String> canonical = new LinkedHashSet<>();
        for (String text : texts) {
            canonical.add(CidrField.parseNetwork(text, "allowed IP").toString());
        }
        return List.copyOf(canonical);
    }

    /**
     * WireGuard routes by allowed IPs: a second peer claiming an address already claimed at the
     * location would take over the first one's return traffic. Refused.
     */
    private static void checkNoOverlap(List<String> wanted, List<Cidr> taken) {
        for (String text : wanted) {
            Cidr cidr = CidrField.parse(text, "allowed IP");
            for (Cidr other : taken) {
                if (cidr.overlaps(other)) {
                    throw new ConflictException("allowed IP " + cidr + " overlaps " + other
                            + ", already admitted for another peer at this location");
                }
            }
        }
    }

    private static Duration lifetime(Duration lifetime) {
        Duration value = lifetime == null ? DEFAULT_LIFETIME : lifetime;
        if (value.compareTo(MIN_LIFETIME) < 0 || value.compareTo(MAX_LIFETIME) > 0) {
            throw new BadRequestException("lifetime must be between " + MIN_LIFETIME.toSeconds() + " seconds and "
                    + MAX_LIFETIME.toDays() + " days");
        }
        return value;
    }

    /** An all-zero key is a low-order point: no real device has it, and WireGuard cannot use it. */
    private static void checkUsable(WireGuardPublicKey key) {
        if (key == null) {
            throw new BadRequestException("a public key is required");
        }
        for (byte b : key.bytes()) {
            if (b != 0) {
                return;
            }
        }
        throw new BadRequestException("the all-zero key is not a usable WireGuard public key");
    }

    private static String newSessionId() {
        byte[] bytes = new byte[SESSION_ID_BYTES];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static String describe(List<GatewayOutcome> outcomes) {
        if (outcomes.isEmpty()) {
            return "no gateway to tell";
        }
        return String.join(", ", outcomes.stream()
                .map(o -> o.name() + (o.acknowledged() ? " acknowledged" : " did not acknowledge (" + o.error().orElse("") + ")"))
                .toList());
    }
}
