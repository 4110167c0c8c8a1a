package dev.portcullis.core.enroll;

import static dev.portcullis.core.store.Database.timestamp;

import com.yubico.webauthn.CredentialRepository;
import dev.portcullis.core.audit.Actor;
import dev.portcullis.core.audit.SecurityAction;
import dev.portcullis.core.audit.SecurityEvent;
import dev.portcullis.core.audit.SecurityEvents;
import dev.portcullis.core.enroll.EnrollmentSessions.Opened;
import dev.portcullis.core.enroll.EnrollmentSessions.Session;
import dev.portcullis.core.enroll.PublicJson.LocationConfig;
import dev.portcullis.core.enroll.PublicJson.Requires;
import dev.portcullis.core.enroll.PublicJson.UserView;
import dev.portcullis.core.error.BadRequestException;
import dev.portcullis.core.error.ConflictException;
import dev.portcullis.core.error.ForbiddenException;
import dev.portcullis.core.identity.Device;
import dev.portcullis.core.identity.DeviceKind;
import dev.portcullis.core.identity.Devices;
import dev.portcullis.core.identity.User;
import dev.portcullis.core.identity.Users;
import dev.portcullis.core.invite.Invites;
import dev.portcullis.core.location.Location;
import dev.portcullis.core.location.Locations;
import dev.portcullis.core.location.MfaMethod;
import dev.portcullis.core.store.Database;
import dev.portcullis.enrollment.device.DeviceCredentialKey;
import dev.portcullis.enrollment.password.PasswordHasher;
import dev.portcullis.enrollment.password.PasswordRules;
import dev.portcullis.enrollment.recovery.RecoveryCode;
import dev.portcullis.enrollment.token.InviteToken;
import dev.portcullis.enrollment.totp.Totp;
import dev.portcullis.enrollment.totp.TotpSecret;
import dev.portcullis.enrollment.webauthn.NewCredential;
import dev.portcullis.enrollment.webauthn.RegistrationStart;
import dev.portcullis.enrollment.webauthn.RelyingPartySettings;
import dev.portcullis.enrollment.webauthn.WebAuthnCeremonies;
import dev.portcullis.enrollment.webauthn.WebAuthnRejected;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import java.net.URI;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The enrollment ceremony, one method per step of {@code enrollment/API.md}: redeem the invite,
 * set the password, add TOTP and WebAuthn, show recovery codes, register devices, complete. Each
 * step after redemption runs in one transaction with its session row locked and the CSRF value
 * checked; refusals commit their security event, then surface as the typed error the public API
 * maps to a status. Messages are for the person enrolling: they say what to do.
 */
public final class EnrollmentCeremony {

    private static final Logger LOG = LoggerFactory.getLogger(EnrollmentCeremony.class);
    /** What authenticators and the TOTP app show as the account's issuer. */
    static final String ISSUER = "Portcullis";
    /** Authenticators show the nickname in lists; 64 characters fit any list and the column. */
    static final int MAX_NICKNAME_CHARS = 64;
    /** Security keys one user may register: a primary and backups, with room to replace lost ones. */
    static final int MAX_WEBAUTHN_CREDENTIALS = 10;

    private final Database database;
    private final Clock clock;
    private final SecondFactors factors;
    private final SecurityEvents events;
    private final Locations locations;
    private final Devices devices;
    private final CredentialRepository credentials;

    EnrollmentCeremony(Database database, Clock clock, SecondFactors factors, SecurityEvents events, Locations locations,
                       Devices devices) {
        this.database = database;
        this.clock = clock;
        this.factors = factors;
        this.events = events;
        this.locations = locations;
        this.devices = devices;
        this.credentials = new PostgresCredentialRepository(database);
    }

    /** A redeemed invite: the new session's secrets (shown once), who it is for and what they must register. */
    record Redemption(Opened session, UserView user, Requires requires) {
    }

    // ---- step 1: redeem ---------------------------------------------------------------------------------

    /**
     * Claims the invite and opens an enrollment session. Empty for every kind of refusal (unknown,
     * used, expired, superseded, revoked, user not waiting to enroll): the caller gives all of them
     * the same answer; only the audit event says which it was.
     */
    Optional<Redemption> redeem(InviteToken token, String sourceAddress) {
        return database.inTransaction(connection -> {
            Instant now = clock.instant();
            Optional<UUID> userId = Invites.claim(connection, token, now);
            if (userId.isEmpty()) {
                Invites.Refusal why = Invites.whyRefused(connection, token, now);
                events.record(connection, SecurityEvent.refused(SecurityAction.INVITE_REFUSED,
                        Actor.anonymous(sourceAddress), why.user().map(SecurityEvent::user).orElse("-"), why.reason()));
                return Optional.<Redemption>empty();
            }
            User user = Users.byId(connection, userId.get()).orElseThrow();
            Opened opened = EnrollmentSessions.open(connection, SessionKind.ENROLL, userId.get(), now);
            events.record(connection, SecurityEvent.success(SecurityAction.INVITE_REDEEMED,
                    Actor.user(user.name(), sourceAddress), SecurityEvent.user(user.name()))
                    .with("session_expires_at", opened.expiresAt()));
            return Optional.of(new Redemption(opened, view(user), requires(locations.reachableBy(connection, userId.get()))));
        });
    }

    // ---- where the enrollment stands ---------------------------------------------------------------------

    PublicJson.SessionView session(Optional<dev.portcullis.enrollment.token.SessionSecret> cookie) {
        return database.inTransaction(connection -> {
            Session session = EnrollmentSessions.live(connection, SessionKind.ENROLL, cookie, clock.instant(), false);
            SecondFactors.Factors have = SecondFactors.of(connection, session.userId());
            return new PublicJson.SessionView(view(session),
                    new PublicJson.Steps(have.password(), have.totp(), have.webauthn(), session.recoveryCodesShown(),
                            Devices.count(connection, session.userId())),
                    requires(locations.reachableBy(connection, session.userId())), session.expiresAt().toString());
        });
    }

    // ---- step 2: password ---------------------------------------------------------------------------------

    void setPassword(SessionCall call, char[] password) {
        step(call, "password", (connection, session, now) -> {
            Optional<String> problem = PasswordRules.problem(password, personalWords(session));
            if (problem.isPresent()) {
                return Outcome.refused(new BadRequestException(problem.get()));
            }
            String hash = PasswordHasher.hash(password);
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?")) {
                update.setString(1, hash);
                update.setObject(2, timestamp(now));
                update.setObject(3, session.userId());
                update.executeUpdate();
            }
            events.record(connection, stepDone(session, call, "password"));
            return Outcome.done(null);
        });
    }

    // ---- step 3a: TOTP ---------------------------------------------------------------------------------------

    /** A new secret each call; only the last one can be confirmed. The answer is the only place it is shown. */
    PublicJson.TotpStarted startTotp(SessionCall call) {
        return step(call, "totp", (connection, session, now) -> {
            TotpSecret secret = TotpSecret.generate();
            EnrollmentSessions.setPendingTotp(connection, session, factors.seal(session.userId(), secret));
            return Outcome.done(new PublicJson.TotpStarted(secret.base32(),
                    Totp.otpauthUri(secret, ISSUER, session.userName()).toString()));
        });
    }

    void confirmTotp(SessionCall call, String code) {
        step(call, "totp", (connection, session, now) -> {
            Optional<TotpSecret> secret = session.pendingTotpSecret().flatMap(sealed -> factors.open(session.userId(), sealed));
            if (secret.isEmpty()) {
                return Outcome.refused(new ConflictException("Start adding the authenticator app first: scan the new QR code."));
            }
            OptionalLong step = Totp.matchingStep(secret.get(), code, now);
            if (step.isEmpty()) {
                events.record(connection, stepFailed(session, call, "totp", "code did not match"));
                return Outcome.refused(new BadRequestException("That code did not match. Check that the time on your phone "
                        + "is right and enter the newest code from your authenticator app."));
            }
            SecondFactors.storeTotp(connection, session.userId(), session.pendingTotpSecret().get(), step.getAsLong(), now);
            EnrollmentSessions.setPendingTotp(connection, session, null);
            events.record(connection, stepDone(session, call, "totp"));
            return Outcome.done(null);
        });
    }

    // ---- step 3b: WebAuthn ---------------------------------------------------------------------------------------

    /**
     * Starts registering a security key. The library reads the user's existing credentials through
     * its repository, so it runs between two short transactions, never inside one.
     */
    String startWebAuthn(SessionCall call, String nickname, String publicOrigin) {
        record Checked(Session session, String nickname, RelyingPartySettings settings) {
        }
        Checked checked = step(call, "webauthn", (connection, s, now) -> {
            String validNickname = nickname(nickname);
            RelyingPartySettings settings = relyingParty(publicOrigin);
            try (PreparedStatement count = connection.prepareStatement(
                    "SELECT count(*) FROM webauthn_credentials WHERE user_id = ?")) {
                count.setObject(1, s.userId());
                try (ResultSet rs = count.executeQuery()) {
                    rs.next();
                    if (rs.getInt(1) >= MAX_WEBAUTHN_CREDENTIALS) {
                        return Outcome.refused(new ConflictException("You already have " + MAX_WEBAUTHN_CREDENTIALS
                                + " security keys, the most one account may have."));
                    }
                }
            }
            return Outcome.done(new Checked(s, validNickname, settings));
        });
        Session session = checked.session();
        RegistrationStart start = new WebAuthnCeremonies(checked.settings(), credentials)
                .startRegistration(session.userName(), session.displayName(), session.userHandle());
        step(call, "webauthn", (connection, s, now) -> {
            EnrollmentSessions.setPendingWebAuthn(connection, s, start.requestJson(), checked.nickname());
            return Outcome.done(null);
        });
        return start.optionsJson();
    }

    /**
     * Verifies the browser's answer against the pending request, which is consumed first (each
     * challenge is good for one answer), then stores the credential.
     */
    void finishWebAuthn(SessionCall call, String credentialJson, String publicOrigin) {
        record Pending(Session session, String requestJson, String nickname, RelyingPartySettings settings) {
        }
        Pending pending = step(call, "webauthn", (connection, session, now) -> {
            RelyingPartySettings settings = relyingParty(publicOrigin);
            if (session.pendingWebAuthnRequest().isEmpty()) {
                return Outcome.refused(new ConflictException(WebAuthnRejected.Reason.NO_CEREMONY.userMessage()));
            }
            EnrollmentSessions.setPendingWebAuthn(connection, session, null, null);
            return Outcome.done(new Pending(session, session.pendingWebAuthnRequest().get(),
                    session.pendingWebAuthnNickname().orElse("Security key"), settings));
        });
        NewCredential credential;
        try {
            credential = new WebAuthnCeremonies(pending.settings(), credentials)
                    .finishRegistration(pending.requestJson(), credentialJson);
        } catch (WebAuthnRejected e) {
            LOG.info("user '{}': security key registration refused ({}): {}", pending.session().userName(), e.reason(),
                    e.getCause() == null ? "-" : e.getCause().getClass().getSimpleName());
            recordAlone(stepFailed(pending.session(), call, "webauthn", e.reason().name().toLowerCase(java.util.Locale.ROOT)));
            throw new BadRequestException(e.getMessage());
        }
        step(call, "webauthn", (connection, session, now) -> {
            if (!Arrays.equals(credential.userHandle(), session.userHandle())) {
                events.record(connection, stepFailed(session, call, "webauthn", "user handle mismatch"));
                return Outcome.refused(new BadRequestException(WebAuthnRejected.Reason.NOT_VERIFIED.userMessage()));
            }
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO webauthn_credentials (credential_id, user_id, nickname, public_key_cose, signature_count, "
                            + "attestation_object, attestation_format, aaguid, transports, created_at) "
                            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (credential_id) DO NOTHING")) {
                insert.setBytes(1, credential.credentialId());
                insert.setObject(2, session.userId());
                insert.setString(3, pending.nickname());
                insert.setBytes(4, credential.publicKeyCose());
                insert.setLong(5, credential.signatureCount());
                insert.setBytes(6, credential.attestationObject());
                insert.setString(7, bounded(credential.attestationFormat(), 32));
                insert.setString(8, credential.aaguid().orElse(null));
                insert.setArray(9, connection.createArrayOf("text",
                        credential.transports().stream().limit(8).map(t -> bounded(t, 32)).toArray()));
                insert.setObject(10, timestamp(now));
                if (insert.executeUpdate() == 0) {
                    events.record(connection, stepFailed(session, call, "webauthn", "credential already registered"));
                    return Outcome.refused(new ConflictException(WebAuthnRejected.Reason.ALREADY_REGISTERED.userMessage()));
                }
            }
            events.record(connection, stepDone(session, call, "webauthn")
                    .with("format", credential.attestationFormat()).with("aaguid", credential.aaguid().orElse("none")));
            return Outcome.done(null);
        });
    }

    // ---- step 4: recovery codes ----------------------------------------------------------------------------------

    /** Ten fresh codes, shown once per enrollment: the second call is refused. */
    List<RecoveryCode> recoveryCodes(SessionCall call) {
        return step(call, "recovery-codes", (connection, session, now) -> {
            if (!EnrollmentSessions.markRecoveryCodesShown(connection, session)) {
                events.record(connection, stepFailed(session, call, "recovery-codes", "already shown"));
                return Outcome.refused(new ConflictException("Your recovery codes were already shown once in this "
                        + "enrollment, and are not shown again."));
            }
            List<RecoveryCode> codes = SecondFactors.replaceRecoveryCodes(connection, session.userId(), now);
            events.record(connection, stepDone(session, call, "recovery-codes").with("count", codes.size()));
            return Outcome.done(codes);
        });
    }

    // ---- step 5: devices ---------------------------------------------------------------------------------------------

    /** A device and its configuration at every location the user may reach. */
    record RegisteredDevice(Device device, List<LocationConfig> locations) {
    }

    RegisteredDevice registerDevice(SessionCall call, PublicJson.DeviceRequest request) {
        return step(call, "device", (connection, session, now) -> {
            Devices.NewDevice device = newDevice(request);
            List<Location> reachable = locations.reachableBy(connection, session.userId());
            Device registered = devices.register(connection, session.userId(), session.userName(), device, reachable,
                    session.actor(call.sourceAddress()));
            List<LocationConfig> configs = new ArrayList<>();
            for (Location location : reachable) {
                configs.add(LocationConfig.of(location, registered.addresses().get(location.name()),
                        locations.gateways(connection, location.name())));
            }
            return Outcome.done(new RegisteredDevice(registered, configs));
        });
    }

    /** Checks the request: each problem is a 400 saying what to fix. */
    static Devices.NewDevice newDevice(PublicJson.DeviceRequest request) {
        String name = Devices.validName(request.name());
        DeviceKind kind = DeviceKind.parse(request.kind()).orElseThrow(() ->
                new BadRequestException("The device kind must be \"agent\" or \"config\"."));
        WireGuardPublicKey key = wireGuardKey(request.wireguardPublicKey());
        Optional<byte[]> spki;
        if (kind == DeviceKind.AGENT) {
            if (request.credentialPublicKey() == null) {
                throw new BadRequestException("An agent device must send its device credential (credentialPublicKey).");
            }
            try {
                spki = Optional.of(DeviceCredentialKey.fromBase64Spki(request.credentialPublicKey()).spki());
            } catch (IllegalArgumentException e) {
                throw new BadRequestException(e.getMessage());
            }
        } else {
            if (request.credentialPublicKey() != null) {
                throw new BadRequestException("A config device has no device credential: send credentialPublicKey as null.");
            }
            spki = Optional.empty();
        }
        return new Devices.NewDevice(name, kind, key, spki);
    }

    private static WireGuardPublicKey wireGuardKey(String base64) {
        String problem = "The WireGuard public key must be 32 bytes in base64, as wg prints it.";
        if (base64 == null || base64.length() > 64) {
            throw new BadRequestException(problem);
        }
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(base64.strip());
        } catch (IllegalArgumentException e) {
            throw new BadRequestException(problem);
        }
        if (raw.length != WireGuardPublicKey.BYTES) {
            throw new BadRequestException(problem);
        }
        boolean allZero = true;
        for (byte b : raw) {
            allZero &= b == 0;
        }
        if (allZero) {
            throw new BadRequestException("That WireGuard public key cannot be used. Generate a new key pair.");
        }
        return WireGuardPublicKey.fromBytes(raw);
    }

    // ---- step 6: complete -----------------------------------------------------------------------------------------------

    /**
     * Ends the enrollment: requires a password, a second factor, the factor each reachable location
     * insists on, and the recovery codes shown. The user becomes ACTIVE and the session ends.
     */
    PublicJson.Completed complete(SessionCall call) {
        return step(call, "complete", (connection, session, now) -> {
            SecondFactors.Factors have = SecondFactors.of(connection, session.userId());
            List<String> missing = missingSteps(have, session.recoveryCodesShown(),
                    locations.reachableBy(connection, session.userId()));
            if (!missing.isEmpty()) {
                events.record(connection, stepFailed(session, call, "complete", "missing: " + String.join(", ", missing)));
                return Outcome.refused(new ConflictException("To finish, first " + String.join("; ", missing) + "."));
            }
            try (PreparedStatement activate = connection.prepareStatement(
                    "UPDATE users SET state = 'ACTIVE', enrolled_at = ?, updated_at = ? WHERE id = ? AND state = 'INVITED'")) {
                activate.setObject(1, timestamp(now));
                activate.setObject(2, timestamp(now));
                activate.setObject(3, session.userId());
                activate.executeUpdate();
            }
            EnrollmentSessions.end(connection, session, now);
            int deviceCount = Devices.count(connection, session.userId());
            events.record(connection, new SecurityEvent(SecurityAction.ENROLLMENT_COMPLETED, session.actor(call.sourceAddress()),
                    SecurityEvent.user(session.userName()), SecurityEvent.Outcome.SUCCESS, java.util.Map.of())
                    .with("devices", deviceCount).with("totp", have.totp()).with("webauthn", have.webauthn()));
            return Outcome.done(new PublicJson.Completed(view(session), deviceCount));
        });
    }

    /** What still stands between the user and a finished enrollment, each phrased as what to do. */
    static List<String> missingSteps(SecondFactors.Factors have, boolean recoveryCodesShown, List<Location> reachable) {
        List<String> missing = new ArrayList<>();
        if (!have.password()) {
            missing.add("set a password");
        }
        List<String> required = new ArrayList<>();
        for (Location location : reachable) {
            if (location.requiresOnly(MfaMethod.TOTP) && !have.totp()) {
                required.add("add an authenticator app (location '" + location.name() + "' requires TOTP)");
            }
            if (location.requiresOnly(MfaMethod.WEBAUTHN) && have.webauthn() == 0) {
                required.add("add a security key (location '" + location.name() + "' requires WebAuthn)");
            }
        }
        if (!have.any() && required.isEmpty()) {
            missing.add("add a second factor (an authenticator app or a security key)");
        }
        missing.addAll(required);
        if (!recoveryCodesShown) {
            missing.add("save your recovery codes");
        }
        return List.copyOf(missing);
    }

    // ---- shared steps -----------------------------------------------------------------------------------------------------

    @FunctionalInterface
    interface StepWork<T> {
        Outcome<T> run(Connection connection, Session session, Instant now) throws SQLException;
    }

    /** One step: the live session locked, the CSRF value checked, the work done, in one transaction. */
    private <T> T step(SessionCall call, String name, StepWork<T> work) {
        return database.inTransaction(connection -> {
            Instant now = clock.instant();
            Session session = EnrollmentSessions.live(connection, SessionKind.ENROLL, call.cookie(), now, true);
            try {
                EnrollmentSessions.checkCsrf(session, call.csrf());
            } catch (ForbiddenException e) {
                events.record(connection, stepFailed(session, call, name, "missing or wrong CSRF value"));
                return Outcome.<T>refused(e);
            }
            return work.run(connection, session, now);
        }).valueOrThrow();
    }

    /** Records an event in a transaction of its own (for refusals decided outside a step's transaction). */
    private void recordAlone(SecurityEvent event) {
        database.inTransaction(connection -> {
            events.record(connection, event);
            return null;
        });
    }

    static Requires requires(List<Location> reachable) {
        return new Requires(reachable.stream().anyMatch(l -> l.requiresOnly(MfaMethod.TOTP)),
                reachable.stream().anyMatch(l -> l.requiresOnly(MfaMethod.WEBAUTHN)));
    }

    /** WebAuthn relying party of the edge-proxy the request came through: its origin, and its host as RP ID. */
    public static RelyingPartySettings relyingParty(String publicOrigin) {
        try {
            return new RelyingPartySettings(URI.create(publicOrigin).getHost(), ISSUER, Set.of(publicOrigin));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new ConflictException("Security keys cannot be used through this address (it needs a host name, not an "
                    + "IP address). Use an authenticator app, or ask your administrator.");
        }
    }

    static String nickname(String nickname) {
        if (nickname == null || nickname.isBlank()) {
            return "Security key";
        }
        String stripped = nickname.strip();
        if (stripped.length() > MAX_NICKNAME_CHARS || stripped.codePoints().anyMatch(Character::isISOControl)) {
            throw new BadRequestException("Use at most " + MAX_NICKNAME_CHARS + " characters for the security key's name.");
        }
        return stripped;
    }

    private static List<String> personalWords(Session session) {
        return List.of(session.userName(), session.email(), session.displayName());
    }

    private static UserView view(User user) {
        return new UserView(user.name(), user.email(), user.displayName());
    }

    private static UserView view(Session session) {
        return new UserView(session.userName(), session.email(), session.displayName());
    }

    private static SecurityEvent stepDone(Session session, SessionCall call, String step) {
        return SecurityEvent.success(SecurityAction.ENROLLMENT_STEP_DONE, session.actor(call.sourceAddress()),
                SecurityEvent.user(session.userName())).with("step", step);
    }

    private static SecurityEvent stepFailed(Session session, SessionCall call, String step, String reason) {
        return SecurityEvent.refused(SecurityAction.ENROLLMENT_STEP_FAILED, session.actor(call.sourceAddress()),
                SecurityEvent.user(session.userName()), reason).with("step", step);
    }

    private static String bounded(String value, int max) {
        return value == null || value.length() <= max ? value : value.substring(0, max);
    }
}
