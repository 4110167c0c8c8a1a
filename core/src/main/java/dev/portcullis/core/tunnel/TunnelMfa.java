package dev.portcullis.core.tunnel;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.yubico.webauthn.CredentialRepository;
import dev.portcullis.core.audit.Actor;
import dev.portcullis.core.audit.SecurityAction;
import dev.portcullis.core.audit.SecurityEvent;
import dev.portcullis.core.audit.SecurityEvents;
import dev.portcullis.core.enroll.EnrollmentCeremony;
import dev.portcullis.core.enroll.Outcome;
import dev.portcullis.core.enroll.PublicJson.LocationConfig;
import dev.portcullis.core.enroll.SecondFactors;
import dev.portcullis.core.error.BadRequestException;
import dev.portcullis.core.error.NotFoundException;
import dev.portcullis.core.error.PortcullisException;
import dev.portcullis.core.location.Admissions;
import dev.portcullis.core.location.Location;
import dev.portcullis.core.location.LocationName;
import dev.portcullis.core.location.LocationStore;
import dev.portcullis.core.location.Locations;
import dev.portcullis.core.location.MfaMethod;
import dev.portcullis.core.session.Sessions;
import dev.portcullis.core.store.Database;
import dev.portcullis.core.tunnel.DeviceAuthentication.AuthenticatedDevice;
import dev.portcullis.core.tunnel.MfaAttempts.Attempt;
import dev.portcullis.enrollment.webauthn.AssertionStart;
import dev.portcullis.enrollment.webauthn.RelyingPartySettings;
import dev.portcullis.enrollment.webauthn.VerifiedAssertion;
import dev.portcullis.enrollment.webauthn.WebAuthnCeremonies;
import dev.portcullis.enrollment.webauthn.WebAuthnRejected;
import dev.portcullis.pki.wireguard.PresharedKey;
import dev.portcullis.protocol.net.Cidr;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tunnel-level MFA, one method per call of SESSION-API.md. Start: the location is one the device
 * has an address at and its user may use, the method one it accepts and the user has; an attempt is
 * stored. Finish: the second factor is checked (TOTP here; WebAuthn in the browser hand-off),
 * failures are counted per user, device and address, and on success the device is admitted on
 * every gateway of the location; only when all of them acknowledged is the session's key handed out.
 * <p>
 * Each check runs in one transaction with the attempt row and the user's MFA lock held; refusals
 * travel out of it as values ({@link Outcome}), so the failure count and its audit record commit
 * together while the request is refused.
 */
final class TunnelMfa {

    private static final Logger LOG = LoggerFactory.getLogger(TunnelMfa.class);
    /** As SESSION-API.md fixes it: time to find the phone or the security key, short enough to go stale fast. */
    static final Duration ATTEMPT_LIFETIME = Duration.ofMinutes(5);
    static final String ENDED = "This sign-in attempt has ended. Start again.";
    static final String INVALID_LINK = "This sign-in link is not valid any more. Start again from your device.";
    static final String KEY_REJECTED = "Your security key was not accepted.";
    static final String NO_SESSION = "No live session with that id.";
    private static final String SESSION_ID = "[A-Za-z0-9_-]{22}";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Database database;
    private final Clock clock;
    private final SecondFactors factors;
    private final SecurityEvents events;
    private final Locations locations;
    private final Admissions admissions;
    private final Sessions sessions;
    private final CredentialRepository credentials;

    TunnelMfa(Database database, Clock clock, SecondFactors factors, SecurityEvents events, Locations locations,
              Admissions admissions, Sessions sessions, CredentialRepository credentials) {
        this.database = database;
        this.clock = clock;
        this.factors = factors;
        this.events = events;
        this.locations = locations;
        this.admissions = admissions;
        this.sessions = sessions;
        this.credentials = credentials;
    }

    /** A location the device may start a session at: the policy and the device's address there. */
    private record Place(Location location, String address) {
    }

    // ---- locations ------------------------------------------------------------------------------------------

    TunnelJson.Locations locations(AuthenticatedDevice device) {
        List<Place> places = database.inTransaction(connection -> places(connection, device));
        Map<String, Sessions.SessionView> live = new HashMap<>();
        for (Sessions.SessionView session : sessions.list(Optional.empty(), Optional.of(device.userId()))) {
            if (session.deviceId().equals(device.deviceId())) {
                live.put(session.location(), session);
            }
        }
        return new TunnelJson.Locations(places.stream().map(place -> new TunnelJson.LocationView(place.location().name(),
                place.location().mfaMethods().stream().sorted().map(Enum::name).toList(),
                place.location().sessionLifetime().toSeconds(), place.location().idleTimeout().toSeconds(),
                place.location().reauthOnEndpointChange(), place.address(),
                Optional.ofNullable(live.get(place.location().name()))
                        .map(s -> session(s, config(place), Optional.empty())).orElse(null))).toList());
    }

    // ---- start ------------------------------------------------------------------------------------------------

    /**
     * Starts an attempt. Steps: the attempt limits; the location (404 unless the device may use it);
     * the method (400 unless the location accepts it and the user has that factor); the attempt,
     * replacing the device's earlier one at the location.
     *
     * @param publicOrigin the forwarding edge-proxy's public origin: the browser hand-off's address
     */
    TunnelJson.Started start(AuthenticatedDevice device, TunnelJson.StartRequest request, String source,
                             Optional<String> publicOrigin) {
        MfaMethod method = method(request.method());
        String name = request.location();
        if (method == MfaMethod.WEBAUTHN) {
            String origin = publicOrigin.orElseThrow(() -> new dev.portcullis.core.error.ConflictException(
                    "Security keys cannot be used through this address yet. Use an authenticator app, or ask your administrator."));
            EnrollmentCeremony.relyingParty(origin); // refuses an origin no security key can be used at
        }
        AttemptId attempt = AttemptId.mint();
        Optional<HandoffToken> handoff = method == MfaMethod.WEBAUTHN ? Optional.of(HandoffToken.mint()) : Optional.empty();
        Instant expiresAt = database.inTransaction(connection -> {
            Instant now = clock.instant();
            AttemptLimits.Keys keys = AttemptLimits.Keys.of(device.userId(), device.deviceId(), source);
            Optional<AttemptLimits.Block> block = AttemptLimits.blocked(connection, keys, now);
            if (block.isPresent()) {
                events.record(connection, throttled(device, source, name, block.get()));
                return Outcome.<Instant>refused(TunnelRefusal.blocked(block.get()));
            }
            Place place = place(connection, device, name).orElseThrow(() -> noLocation(name));
            if (!place.location().mfaMethods().contains(method)) {
                MfaMethod other = place.location().mfaMethods().iterator().next();
                return Outcome.<Instant>refused(new BadRequestException("Location '" + place.location().name()
                        + "' accepts only " + other.text() + "."));
            }
            SecondFactors.Factors have = SecondFactors.of(connection, device.userId());
            if (method == MfaMethod.TOTP && !have.totp()) {
                return Outcome.<Instant>refused(new BadRequestException("Your account has no TOTP authenticator."));
            }
            if (method == MfaMethod.WEBAUTHN && have.webauthn() == 0) {
                return Outcome.<Instant>refused(new BadRequestException("Your account has no security key."));
            }
            Instant expires = now.plus(ATTEMPT_LIFETIME);
            MfaAttempts.insert(connection, attempt, handoff, device.deviceId(), device.userId(), place.location().name(),
                    method, source, now, expires);
            events.record(connection, SecurityEvent.success(SecurityAction.TUNNEL_MFA_STARTED, actor(device, source),
                    subject(device)).with("location", place.location().name()).with("method", method.name()));
            return Outcome.done(expires);
        }).valueOrThrow();
        String browserUrl = handoff.map(token -> publicOrigin.orElseThrow() + "/mfa/" + token.reveal()).orElse(null);
        return new TunnelJson.Started(attempt.reveal(), method.text(), expiresAt.toString(), browserUrl);
    }

    // ---- finish -----------------------------------------------------------------------------------------------

    /** What finish answers: 202 while the browser has not asserted, else the admitted session. */
    sealed interface Finish permits Waiting, Admitted {
    }

    record Waiting(Instant expiresAt) implements Finish {
    }

    record Admitted(TunnelJson.Session session) implements Finish {
        @Override
        public String toString() {
            return "Admitted[" + session + "]";
        }
    }

    /** The second factor passed: who is admitted where. */
    private record Verified(Attempt attempt, Place place) {
    }

    /**
     * Finishes an attempt. Steps: the attempt (410 unless it is this device's and live); for TOTP the
     * attempt limits, then the code, spent in the same transaction; for WebAuthn whether the browser
     * asserted (202 until it did); then the admission on every gateway, and the key.
     */
    Finish finish(AuthenticatedDevice device, TunnelJson.FinishRequest request, String source) {
        AttemptId id = AttemptId.parse(request.attempt()).orElseThrow(() -> new SessionEndedGone());
        Outcome<Object> checked = database.inTransaction(connection -> {
            Instant now = clock.instant();
            AttemptLimits.lockUser(connection, device.userId());
            Optional<Attempt> found = MfaAttempts.lockById(connection, id);
            if (found.isEmpty() || !found.get().deviceId().equals(device.deviceId())) {
                return Outcome.refused(new SessionEndedGone());
            }
            Attempt attempt = found.get();
            if (attempt.expired(now)) {
                MfaAttempts.delete(connection, attempt);
                return Outcome.refused(new SessionEndedGone());
            }
            if (attempt.method() == MfaMethod.WEBAUTHN) {
                if (attempt.assertedAt().isEmpty()) {
                    if (request.code() != null) {
                        return Outcome.refused(new BadRequestException("This attempt uses a security key, not a code: "
                                + "confirm it in the browser."));
                    }
                    return Outcome.done(new Waiting(attempt.expiresAt()));
                }
                Optional<Place> place = place(connection, device, attempt.location());
                MfaAttempts.delete(connection, attempt);
                return place.<Outcome<Object>>map(p -> Outcome.done(new Verified(attempt, p)))
                        .orElseGet(() -> Outcome.refused(noLocation(attempt.location())));
            }
            return totp(connection, device, attempt, request.code(), source, now);
        });
        Object value = checked.valueOrThrow();
        if (value instanceof Waiting waiting) {
            return waiting;
        }
        return admit(device, (Verified) value, source);
    }

    private Outcome<Object> totp(Connection connection, AuthenticatedDevice device, Attempt attempt, String code,
                                 String source, Instant now) throws SQLException {
        if (code == null) {
            return Outcome.refused(new BadRequestException("Send the code from your authenticator app as \"code\"."));
        }
        AttemptLimits.Keys keys = AttemptLimits.Keys.of(device.userId(), device.deviceId(), source);
        Optional<AttemptLimits.Block> block = AttemptLimits.blocked(connection, keys, now);
        if (block.isPresent()) {
            events.record(connection, throttled(device, source, attempt.location(), block.get()));
            return Outcome.refused(TunnelRefusal.blocked(block.get()));
        }
        SecondFactors.TotpCheck check = factors.spendTotp(connection, device.userId(), code, now);
        switch (check) {
            case ACCEPTED -> {
                Optional<Place> place = place(connection, device, attempt.location());
                MfaAttempts.delete(connection, attempt);
                if (place.isEmpty()) {
                    return Outcome.refused(noLocation(attempt.location()));
                }
                AttemptLimits.clear(connection, keys);
                events.record(connection, SecurityEvent.success(SecurityAction.TUNNEL_MFA_SUCCEEDED, actor(device, source),
                        subject(device)).with("location", attempt.location()).with("method", MfaMethod.TOTP.name()));
                return Outcome.done(new Verified(attempt, place.get()));
            }
            case REPLAYED, WRONG_CODE, NO_AUTHENTICATOR -> {
                String reason = check == SecondFactors.TotpCheck.REPLAYED ? "replayed_code" : "wrong_code";
                AttemptLimits.Counted counted = failed(connection, keys, device.user(), device.device(),
                        actor(device, source), attempt.location(), MfaMethod.TOTP, reason, now);
                if (counted.lock().isPresent()) {
                    return Outcome.refused(TunnelRefusal.blocked(counted.lock().get()));
                }
                return Outcome.refused(check == SecondFactors.TotpCheck.REPLAYED
                        ? TunnelRefusal.replayedCode(counted.attemptsLeft()) : TunnelRefusal.wrongCode(counted.attemptsLeft()));
            }
            default -> throw new IllegalStateException("unknown TOTP check " + check);
        }
    }

    /**
     * The admission: the device's key, its address as allowed IP, the location's session lifetime.
     * Core hands out the key only if every gateway acknowledged; otherwise nothing stays admitted.
     */
    private Admitted admit(AuthenticatedDevice device, Verified verified, String source) {
        Place place = verified.place();
        String location = place.location().name();
        MfaMethod method = verified.attempt().method();
        Admissions.Admission admission;
        try {
            admission = admissions.admit(location, device.publicKey(), List.of(place.address()),
                    place.location().sessionLifetime(), new Admissions.SessionStart(new LocationStore.SessionOwner(
                            device.userId(), device.user(), device.deviceId(), device.device(), method.name()),
                            actor(device, source), events));
        } catch (PortcullisException e) {
            LOG.warn("location '{}': device {}/{} could not be admitted: {}", location, device.user(), device.device(),
                    e.publicMessage());
            notAdmitted(device, source, location, method, "admission refused");
            throw new TunnelRefusal(503, "Location '" + location + "' cannot admit the session right now; no key was "
                    + "issued. Try again later, or ask your administrator.", new TunnelJson.NotAdmitted("Location '"
                    + location + "' cannot admit the session right now; no key was issued. Try again later, or ask your "
                    + "administrator.", List.of()), OptionalLong.empty());
        }
        if (!admission.admitted()) {
            Optional<Admissions.GatewayOutcome> silent = admission.gateways().stream().filter(g -> !g.acknowledged()).findFirst();
            String message = silent.map(g -> "Gateway '" + g.name() + "' did not confirm the session in time; no key was "
                    + "issued. Try again.").orElse("The session was replaced or ended while the gateways confirmed it; no key "
                    + "was issued. Try again.");
            notAdmitted(device, source, location, method, silent.map(g -> "gateway " + g.name() + " did not acknowledge")
                    .orElse("replaced or ended meanwhile"));
            throw new TunnelRefusal(503, message, new TunnelJson.NotAdmitted(message, admission.gateways().stream()
                    .map(g -> new TunnelJson.GatewayAck(g.name(), g.acknowledged(), g.error().orElse(null))).toList()),
                    OptionalLong.empty());
        }
        PresharedKey psk = admission.presharedKey().orElseThrow();
        byte[] raw = psk.bytes();
        String pskText;
        try {
            pskText = Base64.getEncoder().encodeToString(raw);
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
        Instant startedAt = sessions.find(admission.sessionId()).map(Sessions.SessionView::startedAt)
                .orElse(admission.notAfter().minus(place.location().sessionLifetime()));
        Sessions.SessionView view = new Sessions.SessionView(admission.sessionId(), location, device.userId(), device.user(),
                device.deviceId(), device.device(), method.name(), startedAt, admission.notAfter(),
                place.location().idleTimeout(), Optional.empty(), Optional.empty());
        return new Admitted(session(view, config(place), Optional.of(pskText)));
    }

    // ---- the browser hand-off (WebAuthn) ------------------------------------------------------------------------

    /**
     * The assertion options for the browser: a fresh challenge each call (only the newest can be
     * answered), bound to the relying party of the edge-proxy the browser came through.
     */
    TunnelJson.WebAuthnOptions webAuthnOptions(HandoffToken token, String publicOrigin) {
        RelyingPartySettings relyingParty = EnrollmentCeremony.relyingParty(publicOrigin);
        Attempt attempt = database.inTransaction(connection -> openHandoff(connection, token, clock.instant()))
                .orElseThrow(TunnelMfa::invalidLink);
        AssertionStart start = new WebAuthnCeremonies(relyingParty, credentials).startAssertion(attempt.user());
        boolean stored = database.inTransaction(connection -> {
            Optional<Attempt> still = openHandoff(connection, token, clock.instant());
            if (still.isPresent()) {
                MfaAttempts.setRequest(connection, still.get(), start.requestJson());
            }
            return still.isPresent();
        });
        if (!stored) {
            throw invalidLink();
        }
        JsonNode publicKey;
        try {
            publicKey = JSON.readTree(start.optionsJson()).path("publicKey");
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the WebAuthn library wrote options that do not parse", e);
        }
        return new TunnelJson.WebAuthnOptions(attempt.user(), attempt.location(), attempt.device(), publicKey);
    }

    /**
     * Verifies the browser's assertion. Steps: take the attempt's request (each challenge is answered
     * once) under the attempt limits; let the library verify origin, challenge, signature and counter;
     * store the counter, which must have advanced; mark the attempt asserted for the device's next finish.
     */
    void webAuthnFinish(HandoffToken token, String credentialJson, String publicOrigin, String source) {
        RelyingPartySettings relyingParty = EnrollmentCeremony.relyingParty(publicOrigin);
        record Taken(Attempt attempt, String requestJson) {
        }
        Taken taken = database.inTransaction(connection -> {
            Instant now = clock.instant();
            // The user's lock first, then the attempt's row: the order finish takes them in.
            Optional<UUID> user = MfaAttempts.userOfHandoff(connection, token);
            if (user.isPresent()) {
                AttemptLimits.lockUser(connection, user.get());
            }
            Optional<Attempt> open = user.isEmpty() ? Optional.empty() : openHandoff(connection, token, now);
            if (open.isEmpty()) {
                return Outcome.<Taken>refused(invalidLink());
            }
            Attempt attempt = open.get();
            AttemptLimits.Keys keys = AttemptLimits.Keys.of(attempt.userId(), attempt.deviceId(), source);
            Optional<AttemptLimits.Block> block = AttemptLimits.blocked(connection, keys, now);
            if (block.isPresent()) {
                events.record(connection, SecurityEvent.refused(SecurityAction.TUNNEL_MFA_THROTTLED,
                                Actor.user(attempt.user(), source), SecurityEvent.device(attempt.user(), attempt.device()),
                                block.get().locked() ? "locked" : "delay")
                        .with("location", attempt.location()).with("retry_after_seconds", block.get().retryAfterSeconds()));
                return Outcome.<Taken>refused(TunnelRefusal.blocked(block.get()));
            }
            if (attempt.webauthnRequest().isEmpty()) {
                return Outcome.<Taken>refused(new dev.portcullis.core.error.ConflictException(
                        WebAuthnRejected.Reason.NO_CEREMONY.userMessage()));
            }
            MfaAttempts.setRequest(connection, attempt, null);
            return Outcome.done(new Taken(attempt, attempt.webauthnRequest().get()));
        }).valueOrThrow();
        Attempt attempt = taken.attempt();
        VerifiedAssertion verified;
        try {
            verified = new WebAuthnCeremonies(relyingParty, credentials).finishAssertion(taken.requestJson(), credentialJson);
            if (!verified.username().equals(attempt.user())) {
                throw new WebAuthnRejected(WebAuthnRejected.Reason.NOT_VERIFIED);
            }
        } catch (WebAuthnRejected e) {
            LOG.info("user '{}': security key refused for a tunnel session at '{}' ({}): {}", attempt.user(),
                    attempt.location(), e.reason(), e.getCause() == null ? "-" : e.getCause().getClass().getSimpleName());
            throw keyRejected(attempt, source, e.reason().name().toLowerCase(Locale.ROOT));
        }
        database.inTransaction(connection -> {
            Instant now = clock.instant();
            AttemptLimits.lockUser(connection, attempt.userId());
            Optional<Attempt> still = openHandoff(connection, token, now);
            if (still.isEmpty()) {
                return Outcome.<Void>refused(invalidLink());
            }
            AttemptLimits.Keys keys = AttemptLimits.Keys.of(attempt.userId(), attempt.deviceId(), source);
            Actor actor = Actor.user(attempt.user(), source);
            if (!SecondFactors.recordAssertion(connection, attempt.userId(), verified.credentialId(), verified.signatureCount(),
                    now)) {
                AttemptLimits.Counted counted = failed(connection, keys, attempt.user(), attempt.device(), actor,
                        attempt.location(), MfaMethod.WEBAUTHN, "webauthn_rejected", now);
                return Outcome.<Void>refused(counted.lock().<PortcullisException>map(TunnelRefusal::blocked)
                        .orElseGet(() -> new BadRequestException(KEY_REJECTED)));
            }
            MfaAttempts.markAsserted(connection, still.get(), now);
            AttemptLimits.clear(connection, keys);
            events.record(connection, SecurityEvent.success(SecurityAction.TUNNEL_MFA_SUCCEEDED, actor,
                    SecurityEvent.device(attempt.user(), attempt.device()))
                    .with("location", attempt.location()).with("method", MfaMethod.WEBAUTHN.name()));
            return Outcome.<Void>done(null);
        }).valueOrThrow();
    }

    /** Counts a rejected assertion (in its own committed transaction) and says how to answer. */
    private PortcullisException keyRejected(Attempt attempt, String source, String why) {
        return database.inTransaction(connection -> {
            Instant now = clock.instant();
            AttemptLimits.lockUser(connection, attempt.userId());
            AttemptLimits.Counted counted = failed(connection, AttemptLimits.Keys.of(attempt.userId(), attempt.deviceId(), source),
                    attempt.user(), attempt.device(), Actor.user(attempt.user(), source), attempt.location(),
                    MfaMethod.WEBAUTHN, "webauthn_rejected", now, Optional.of(why));
            return counted.lock().<PortcullisException>map(TunnelRefusal::blocked)
                    .orElseGet(() -> new BadRequestException(KEY_REJECTED));
        });
    }

    /** A live WebAuthn attempt whose browser has not asserted yet, locked; empty for every other case. */
    private static Optional<Attempt> openHandoff(Connection connection, HandoffToken token, Instant now) throws SQLException {
        Optional<Attempt> attempt = MfaAttempts.lockByHandoff(connection, token)
                .filter(a -> a.method() == MfaMethod.WEBAUTHN && a.assertedAt().isEmpty() && !a.expired(now));
        return attempt.isPresent() && isActive(connection, attempt.get()) ? attempt : Optional.empty();
    }

    /** The attempt's device and user may still start sessions (neither was disabled since it started). */
    private static boolean isActive(Connection connection, Attempt attempt) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT 1 FROM devices d JOIN users u ON u.id = d.user_id WHERE d.id = ? AND d.state = 'ACTIVE' "
                        + "AND u.state = 'ACTIVE'")) {
            select.setObject(1, attempt.deviceId());
            try (ResultSet rs = select.executeQuery()) {
                return rs.next();
            }
        }
    }

    // ---- sessions --------------------------------------------------------------------------------------------------

    /** The live sessions of the device's user (all their devices), newest first, never with a key. */
    TunnelJson.Sessions sessions(AuthenticatedDevice device) {
        List<Sessions.SessionView> live = sessions.list(Optional.empty(), Optional.of(device.userId())).stream()
                .sorted(Comparator.comparing(Sessions.SessionView::startedAt).reversed()).toList();
        Map<String, LocationConfig> configs = new LinkedHashMap<>();
        return new TunnelJson.Sessions(live.stream().map(view -> session(view, configs.computeIfAbsent(
                view.deviceId() + "/" + view.location(), k -> configOf(view.deviceId(), view.location())), Optional.empty()))
                .toList());
    }

    /** Ends one live session of the device's user now; 404 unless there is one with that id. */
    void revoke(AuthenticatedDevice device, String sessionId, String source) {
        if (sessionId == null || !sessionId.matches(SESSION_ID)
                || !sessions.revoke(sessionId, Optional.of(device.userId()), actor(device, source))) {
            throw new NotFoundException(NO_SESSION);
        }
    }

    // ---- steps and helpers ---------------------------------------------------------------------------------------

    /** The locations the device has an address at and its user may use. */
    private List<Place> places(Connection connection, AuthenticatedDevice device) throws SQLException {
        Map<String, String> addresses = addresses(connection, device.deviceId());
        return locations.reachableBy(connection, device.userId()).stream()
                .filter(l -> addresses.containsKey(l.name()))
                .map(l -> new Place(l, addresses.get(l.name())))
                .toList();
    }

    private Optional<Place> place(Connection connection, AuthenticatedDevice device, String name) throws SQLException {
        if (!LocationName.isValid(name)) {
            return Optional.empty();
        }
        return places(connection, device).stream().filter(p -> p.location().name().equals(name)).findFirst();
    }

    private static Map<String, String> addresses(Connection connection, UUID deviceId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT location, host(address) AS host, masklen(address) AS prefix FROM device_addresses WHERE device_id = ?")) {
            select.setObject(1, deviceId);
            try (ResultSet rs = select.executeQuery()) {
                Map<String, String> addresses = new HashMap<>();
                while (rs.next()) {
                    addresses.put(rs.getString("location"),
                            Cidr.parse(rs.getString("host") + "/" + rs.getInt("prefix")).toString());
                }
                return addresses;
            }
        }
    }

    private LocationConfig config(Place place) {
        return LocationConfig.of(place.location(), place.address(), locations.gateways(place.location().name()));
    }

    /** A session's configuration; without an address when the device no longer has one there. */
    private LocationConfig configOf(UUID deviceId, String location) {
        return database.inTransaction(connection -> {
            Optional<Location> found = locations.byName(location);
            String address = addresses(connection, deviceId).get(location);
            if (found.isEmpty()) {
                return new LocationConfig(location, address, List.of(), List.of(), null, List.of());
            }
            return LocationConfig.of(found.get(), address, locations.gateways(connection, location));
        });
    }

    private static TunnelJson.Session session(Sessions.SessionView view, LocationConfig config, Optional<String> presharedKey) {
        return new TunnelJson.Session(view.id(), view.location(), view.device(), view.method(), view.startedAt().toString(),
                view.notAfter().toString(), view.idleTimeout().toSeconds(), view.lastHandshake().map(Instant::toString).orElse(null),
                view.endpoint().orElse(null), config.address(), config.dns(), config.allowedIps(), config.mtu(),
                config.gateways().stream().map(g -> new TunnelJson.Gateway(g.name(), g.endpoint(), g.publicKey())).toList(),
                presharedKey.orElse(null));
    }

    private AttemptLimits.Counted failed(Connection connection, AttemptLimits.Keys keys, String user, String device, Actor actor,
                                         String location, MfaMethod method, String reason, Instant now) throws SQLException {
        return failed(connection, keys, user, device, actor, location, method, reason, now, Optional.empty());
    }

    /** Counts a failure against every key and records it, and each lock it caused, in the caller's transaction. */
    private AttemptLimits.Counted failed(Connection connection, AttemptLimits.Keys keys, String user, String device, Actor actor,
                                         String location, MfaMethod method, String reason, Instant now, Optional<String> why)
            throws SQLException {
        AttemptLimits.Counted counted = AttemptLimits.fail(connection, keys, now);
        SecurityEvent failed = SecurityEvent.refused(SecurityAction.TUNNEL_MFA_FAILED, actor, SecurityEvent.device(user, device),
                reason).with("location", location).with("method", method.name()).with("attempts_left", counted.attemptsLeft());
        events.record(connection, why.map(w -> failed.with("detail", w)).orElse(failed));
        for (String key : counted.newlyLocked()) {
            events.record(connection, SecurityEvent.refused(SecurityAction.TUNNEL_MFA_LOCKED, actor,
                            SecurityEvent.device(user, device), "too many failed attempts")
                    .with("location", location).with("key", describe(key, keys, user, device))
                    .with("locked_minutes", AttemptLimits.LOCK.toMinutes()));
        }
        return counted;
    }

    /** A key as an admin reads it: the user's login, the device's name or the address. */
    private static String describe(String key, AttemptLimits.Keys keys, String user, String device) {
        if (key.equals(keys.user())) {
            return "user:" + user;
        }
        if (key.equals(keys.device())) {
            return "device:" + user + "/" + device;
        }
        return key;
    }

    private void notAdmitted(AuthenticatedDevice device, String source, String location, MfaMethod method, String reason) {
        database.inTransaction(connection -> {
            events.record(connection, new SecurityEvent(SecurityAction.TUNNEL_SESSION_NOT_ADMITTED, actor(device, source),
                    subject(device), SecurityEvent.Outcome.FAILED, Map.of("reason", reason))
                    .with("location", location).with("method", method.name()));
            return null;
        });
    }

    private static SecurityEvent throttled(AuthenticatedDevice device, String source, String location, AttemptLimits.Block block) {
        return SecurityEvent.refused(SecurityAction.TUNNEL_MFA_THROTTLED, actor(device, source), subject(device),
                        block.locked() ? "locked" : "delay")
                .with("location", LocationName.isValid(location) ? location : "-")
                .with("retry_after_seconds", block.retryAfterSeconds());
    }

    private static MfaMethod method(String text) {
        if ("totp".equals(text)) {
            return MfaMethod.TOTP;
        }
        if ("webauthn".equals(text)) {
            return MfaMethod.WEBAUTHN;
        }
        throw new BadRequestException("\"method\" must be \"totp\" or \"webauthn\".");
    }

    private static NotFoundException noLocation(String name) {
        return new NotFoundException(LocationName.isValid(name) ? "No location '" + name + "' for this device."
                : "No location with that name for this device.");
    }

    private static NotFoundException invalidLink() {
        return new NotFoundException(INVALID_LINK);
    }

    private static Actor actor(AuthenticatedDevice device, String source) {
        return Actor.user(device.user(), source);
    }

    private static String subject(AuthenticatedDevice device) {
        return SecurityEvent.device(device.user(), device.device());
    }

    /** 410: unknown, used or expired attempt, or not this device's. */
    static final class SessionEndedGone extends PortcullisException {
        private static final long serialVersionUID = 1L;

        SessionEndedGone() {
            super(ENDED, null);
        }

        @Override
        public int httpStatus() {
            return 410;
        }
    }
}
