package dev.portcullis.core.enroll;

import dev.portcullis.core.audit.SecurityEvents;
import dev.portcullis.core.component.ComponentRegistry;
import dev.portcullis.core.enroll.EnrollmentSessions.Opened;
import dev.portcullis.core.error.PortcullisException;
import dev.portcullis.core.error.TooManyRequestsException;
import dev.portcullis.core.identity.Devices;
import dev.portcullis.core.link.ComponentRecord;
import dev.portcullis.core.link.PublicRequestHandler;
import dev.portcullis.core.location.Locations;
import dev.portcullis.core.mail.MailSender;
import dev.portcullis.core.ratelimit.RateLimiter;
import dev.portcullis.core.store.Database;
import dev.portcullis.enrollment.password.PasswordRules;
import dev.portcullis.enrollment.recovery.RecoveryCode;
import dev.portcullis.enrollment.token.InviteToken;
import dev.portcullis.enrollment.token.ResetToken;
import dev.portcullis.enrollment.token.SessionSecret;
import dev.portcullis.pki.authority.Sealer;
import dev.portcullis.protocol.v1.Header;
import dev.portcullis.protocol.v1.ProxyRequest;
import dev.portcullis.protocol.v1.ProxyResponse;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public enrollment and password-reset API ({@code /api/v1/enroll/*}, {@code /api/v1/recovery/*})
 * as edge proxies forward it. This is the boundary: it reads the request (strict JSON, session
 * cookie, CSRF header, Origin), applies core's rate limits, calls one ceremony step, and maps the
 * result, or the typed error, to a response once. Responses never carry a stack trace, SQL or a
 * secret other than the one the call exists to show once.
 */
public final class EnrollmentEndpoints implements PublicRequestHandler {

    private static final Logger LOG = LoggerFactory.getLogger(EnrollmentEndpoints.class);
    static final String ENROLL = "/api/v1/enroll/";
    static final String RECOVERY = "/api/v1/recovery/";
    static final int MAX_BODY_BYTES = PublicRequests.MAX_BODY_BYTES;
    static final String CSRF_HEADER = "x-portcullis-csrf";
    /** Every invalid invite gets exactly these bytes, whatever made it invalid: no oracle. */
    static final String INVALID_INVITE = "This link is not valid any more. Ask your administrator for a new invite.";
    static final String INVALID_RESET = "This link is not valid any more. Request a new password reset.";
    static final String RESET_ACCEPTED = "If that address belongs to an account, a reset link is on its way.";
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * Core's rate limits on the public API (the edge-proxy limits per client address in front of them).
     *
     * @param redeemsPerTokenPerMinute     redeem attempts per invite or reset token
     * @param callsPerSessionPerMinute     calls per enrollment or reset session
     * @param codesPerSessionPerMinute     code checks (TOTP confirm, reset second factor) per session
     * @param resetRequestsPerAddressHour  password-reset requests per client address per hour
     */
    public record Limits(int redeemsPerTokenPerMinute, int callsPerSessionPerMinute, int codesPerSessionPerMinute,
                         int resetRequestsPerAddressHour) {

        /**
         * Redeem: a person reloads or double-clicks; five a minute is already a script. Session calls:
         * the pages make a handful per step, sixty a minute leaves room for retries and slows a script
         * driving a stolen cookie. Codes: a person mistypes once or twice; five a minute keeps guessing
         * a 6-digit code over a 15-minute reset session below 1 in 4,000. Reset requests: five an hour
         * per address serves a user who mistyped their address and stops mail flooding from one place.
         */
        public static Limits defaults() {
            return new Limits(5, 60, 5, 5);
        }
    }

    private final ComponentRegistry registry;
    private final EnrollmentCeremony ceremony;
    private final PasswordReset reset;
    private final RateLimiter redeemsPerToken;
    private final RateLimiter callsPerSession;
    private final RateLimiter codesPerSession;
    private final RateLimiter resetRequestsPerAddress;

    EnrollmentEndpoints(ComponentRegistry registry, EnrollmentCeremony ceremony, PasswordReset reset, Clock clock,
                        Limits limits) {
        this.registry = registry;
        this.ceremony = ceremony;
        this.reset = reset;
        this.redeemsPerToken = new RateLimiter("redeems per token", limits.redeemsPerTokenPerMinute(), Duration.ofMinutes(1), clock);
        this.callsPerSession = new RateLimiter("calls per session", limits.callsPerSessionPerMinute(), Duration.ofMinutes(1), clock);
        this.codesPerSession = new RateLimiter("codes per session", limits.codesPerSessionPerMinute(), Duration.ofMinutes(1), clock);
        this.resetRequestsPerAddress = new RateLimiter("reset requests per address", limits.resetRequestsPerAddressHour(),
                Duration.ofHours(1), clock);
    }

    /** Wires the ceremonies on core's database, master key and mail. */
    public static EnrollmentEndpoints create(Database database, Clock clock, Sealer sealer, SecurityEvents events,
                                             Locations locations, Devices devices, ComponentRegistry registry,
                                             MailSender mail, Executor mailWork, Limits limits) {
        SecondFactors factors = new SecondFactors(sealer);
        return new EnrollmentEndpoints(registry,
                new EnrollmentCeremony(database, clock, factors, events, locations, devices),
                new PasswordReset(database, clock, factors, events, mail, mailWork), clock, limits);
    }

    /** Whether a path is this API's. */
    public static boolean serves(String path) {
        return path.startsWith(ENROLL) || path.startsWith(RECOVERY);
    }

    /** The calls of {@code enrollment/API.md}, each with its method. */
    private enum Route {
        REDEEM("POST", ENROLL + "redeem"),
        SESSION("GET", ENROLL + "session"),
        PASSWORD("POST", ENROLL + "password"),
        TOTP_START("POST", ENROLL + "totp/start"),
        TOTP_CONFIRM("POST", ENROLL + "totp/confirm"),
        WEBAUTHN_START("POST", ENROLL + "webauthn/start"),
        WEBAUTHN_FINISH("POST", ENROLL + "webauthn/finish"),
        RECOVERY_CODES("POST", ENROLL + "recovery-codes"),
        DEVICES("POST", ENROLL + "devices"),
        COMPLETE("POST", ENROLL + "complete"),
        RESET_REQUEST("POST", RECOVERY + "request"),
        RESET_REDEEM("POST", RECOVERY + "redeem"),
        RESET_PASSWORD("POST", RECOVERY + "password");

        final String method;
        final String path;

        Route(String method, String path) {
            this.method = method;
            this.path = path;
        }

        static Optional<Route> of(String path) {
            for (Route route : values()) {
                if (route.path.equals(path)) {
                    return Optional.of(route);
                }
            }
            return Optional.empty();
        }
    }

    @Override
    public ProxyResponse handle(ProxyRequest request, ComponentRecord edgeProxy) {
        try {
            return route(request, edgeProxy);
        } catch (PortcullisException e) {
            return PublicAnswers.refusal(e);
        } catch (RuntimeException e) {
            String reference = HexFormat.of().formatHex(randomBytes(4));
            LOG.error("public request {} via edge-proxy '{}' failed, ref={}", pathOf(request), edgeProxy.name(), reference, e);
            return PublicAnswers.error(500, "Something went wrong on our side (ref " + reference + "). Try again in a minute.");
        }
    }

    private ProxyResponse route(ProxyRequest request, ComponentRecord edgeProxy) {
        Optional<Route> found = Route.of(pathOf(request));
        if (found.isEmpty()) {
            return PublicAnswers.error(404, "not found");
        }
        Route route = found.get();
        if (!route.method.equals(request.getMethod())) {
            return PublicAnswers.error(405, "method not allowed");
        }
        String origin = PublicRequests.publicOrigin(registry, edgeProxy).orElse(null);
        if (origin == null) {
            LOG.warn("edge-proxy '{}' forwards enrollment requests but has no public origin; set one with "
                    + "`portcullis-admin component set {} --public-origin https://…`", edgeProxy.name(), edgeProxy.name());
            return PublicAnswers.error(503, "Enrollment is not set up on this address yet. Ask your administrator.");
        }
        PublicRequests.requireSameOrigin(request, origin);
        if (request.getBody().size() > MAX_BODY_BYTES) {
            return PublicAnswers.error(413, "The request is too large.");
        }
        if ("POST".equals(route.method) && !PublicRequests.isJson(request)) {
            return PublicAnswers.error(415, "Send the request as application/json.");
        }
        String source = request.getClientAddress().isBlank() ? "-" : request.getClientAddress();
        byte[] body = request.getBody().toByteArray();
        return switch (route) {
            case REDEEM -> redeem(body, source);
            case SESSION -> session(request);
            case PASSWORD -> password(request, body, source);
            case TOTP_START -> totpStart(request, body, source);
            case TOTP_CONFIRM -> totpConfirm(request, body, source);
            case WEBAUTHN_START -> webAuthnStart(request, body, source, origin);
            case WEBAUTHN_FINISH -> webAuthnFinish(request, body, source, origin);
            case RECOVERY_CODES -> recoveryCodes(request, body, source);
            case DEVICES -> devices(request, body, source);
            case COMPLETE -> complete(request, body, source);
            case RESET_REQUEST -> resetRequest(body, source, origin);
            case RESET_REDEEM -> resetRedeem(body, source);
            case RESET_PASSWORD -> resetPassword(request, body, source);
        };
    }

    // ---- enrollment ----------------------------------------------------------------------------------------

    private ProxyResponse redeem(byte[] body, String source) {
        Optional<InviteToken> token = InviteToken.parse(PublicJson.read(body, PublicJson.TokenRequest.class).token());
        if (token.isEmpty()) {
            return PublicAnswers.error(404, INVALID_INVITE);
        }
        limit(redeemsPerToken, hex(token.get().sha256()), "Too many attempts with this link.");
        Optional<EnrollmentCeremony.Redemption> redeemed = ceremony.redeem(token.get(), source);
        if (redeemed.isEmpty()) {
            return PublicAnswers.error(404, INVALID_INVITE);
        }
        Opened session = redeemed.get().session();
        return PublicAnswers.json(200, new PublicJson.Redeemed(redeemed.get().user(), session.csrf().reveal(),
                        session.expiresAt().toString(), redeemed.get().requires(), PasswordRules.DESCRIPTION))
                .toBuilder().addHeaders(PublicAnswers.setCookie(SessionKind.ENROLL, session.cookie())).build();
    }

    private ProxyResponse session(ProxyRequest request) {
        Optional<SessionSecret> cookie = cookie(request, SessionKind.ENROLL);
        limitSession(cookie);
        return PublicAnswers.json(200, ceremony.session(cookie));
    }

    private ProxyResponse password(ProxyRequest request, byte[] body, String source) {
        SessionCall call = sessionCall(request, SessionKind.ENROLL, source);
        PublicJson.PasswordRequest password = PublicJson.read(body, PublicJson.PasswordRequest.class);
        try {
            ceremony.setPassword(call, password.password());
        } finally {
            password.wipe();
        }
        return PublicAnswers.noContent();
    }

    private ProxyResponse totpStart(ProxyRequest request, byte[] body, String source) {
        SessionCall call = sessionCall(request, SessionKind.ENROLL, source);
        PublicJson.read(body, PublicJson.Empty.class);
        return PublicAnswers.json(200, ceremony.startTotp(call));
    }

    private ProxyResponse totpConfirm(ProxyRequest request, byte[] body, String source) {
        SessionCall call = sessionCall(request, SessionKind.ENROLL, source);
        limitCodes(call);
        ceremony.confirmTotp(call, PublicJson.read(body, PublicJson.TotpConfirmRequest.class).code());
        return PublicAnswers.noContent();
    }

    private ProxyResponse webAuthnStart(ProxyRequest request, byte[] body, String source, String origin) {
        SessionCall call = sessionCall(request, SessionKind.ENROLL, source);
        String options = ceremony.startWebAuthn(call, PublicJson.read(body, PublicJson.WebAuthnStartRequest.class).nickname(),
                origin);
        return PublicAnswers.rawJson(200, options);
    }

    private ProxyResponse webAuthnFinish(ProxyRequest request, byte[] body, String source, String origin) {
        SessionCall call = sessionCall(request, SessionKind.ENROLL, source);
        PublicJson.WebAuthnFinishRequest finish = PublicJson.read(body, PublicJson.WebAuthnFinishRequest.class);
        if (finish.credential() == null || !finish.credential().isObject()) {
            throw new dev.portcullis.core.error.BadRequestException("Send the security key's answer as \"credential\".");
        }
        ceremony.finishWebAuthn(call, finish.credential().toString(), origin);
        return PublicAnswers.noContent();
    }

    private ProxyResponse recoveryCodes(ProxyRequest request, byte[] body, String source) {
        SessionCall call = sessionCall(request, SessionKind.ENROLL, source);
        PublicJson.read(body, PublicJson.Empty.class);
        List<RecoveryCode> codes = ceremony.recoveryCodes(call);
        return PublicAnswers.json(200, new PublicJson.RecoveryCodesShown(codes.stream().map(RecoveryCode::reveal).toList()));
    }

    private ProxyResponse devices(ProxyRequest request, byte[] body, String source) {
        SessionCall call = sessionCall(request, SessionKind.ENROLL, source);
        EnrollmentCeremony.RegisteredDevice registered = ceremony.registerDevice(call,
                PublicJson.read(body, PublicJson.DeviceRequest.class));
        return PublicAnswers.json(201, new PublicJson.DeviceRegistered(new PublicJson.DeviceView(registered.device().id(),
                registered.device().name(), registered.device().kind().text()), registered.locations()));
    }

    private ProxyResponse complete(ProxyRequest request, byte[] body, String source) {
        SessionCall call = sessionCall(request, SessionKind.ENROLL, source);
        PublicJson.read(body, PublicJson.Empty.class);
        return PublicAnswers.json(200, ceremony.complete(call)).toBuilder()
                .addHeaders(PublicAnswers.clearCookie(SessionKind.ENROLL)).build();
    }

    // ---- password reset ---------------------------------------------------------------------------------------

    private ProxyResponse resetRequest(byte[] body, String source, String origin) {
        limit(resetRequestsPerAddress, "address:" + source, "Too many password reset requests from your network.");
        reset.request(PublicJson.read(body, PublicJson.ResetRequest.class).email(), origin, source);
        return PublicAnswers.json(202, new PublicJson.ResetAccepted(RESET_ACCEPTED));
    }

    private ProxyResponse resetRedeem(byte[] body, String source) {
        Optional<ResetToken> token = ResetToken.parse(PublicJson.read(body, PublicJson.TokenRequest.class).token());
        if (token.isEmpty()) {
            return PublicAnswers.error(404, INVALID_RESET);
        }
        limit(redeemsPerToken, hex(token.get().sha256()), "Too many attempts with this link.");
        Optional<Opened> session = reset.redeem(token.get(), source);
        if (session.isEmpty()) {
            return PublicAnswers.error(404, INVALID_RESET);
        }
        return PublicAnswers.json(200, new PublicJson.ResetRedeemed(session.get().csrf().reveal(), PasswordRules.DESCRIPTION,
                        session.get().expiresAt().toString()))
                .toBuilder().addHeaders(PublicAnswers.setCookie(SessionKind.RESET, session.get().cookie())).build();
    }

    private ProxyResponse resetPassword(ProxyRequest request, byte[] body, String source) {
        SessionCall call = sessionCall(request, SessionKind.RESET, source);
        limitCodes(call);
        PublicJson.ResetPasswordRequest password = PublicJson.read(body, PublicJson.ResetPasswordRequest.class);
        try {
            reset.setPassword(call, password.password(), password.secondFactor());
        } finally {
            password.wipe();
        }
        return PublicAnswers.noContent().toBuilder().addHeaders(PublicAnswers.clearCookie(SessionKind.RESET)).build();
    }

    // ---- request parts and limits ------------------------------------------------------------------------------

    private SessionCall sessionCall(ProxyRequest request, SessionKind kind, String source) {
        Optional<SessionSecret> cookie = cookie(request, kind);
        limitSession(cookie);
        return new SessionCall(cookie, header(request, CSRF_HEADER).flatMap(SessionSecret::parse), source);
    }

    private void limitSession(Optional<SessionSecret> cookie) {
        cookie.ifPresent(c -> limit(callsPerSession, hex(c.sha256()), "Too many requests in this session."));
    }

    private void limitCodes(SessionCall call) {
        call.cookie().ifPresent(c -> limit(codesPerSession, hex(c.sha256()), "Too many codes tried."));
    }

    private static void limit(RateLimiter limiter, String key, String what) {
        OptionalLong retryAfter = limiter.tryAcquire(key);
        if (retryAfter.isPresent()) {
            throw new TooManyRequestsException(what + " Wait " + retryAfter.getAsLong() + " seconds and try again.",
                    retryAfter.getAsLong());
        }
    }

    /** The named cookie's value from the request's Cookie headers (the first occurrence), if it is a session secret. */
    static Optional<SessionSecret> cookie(ProxyRequest request, SessionKind kind) {
        String prefix = kind.cookieName() + "=";
        for (Header header : request.getHeadersList()) {
            if (!"cookie".equalsIgnoreCase(header.getName())) {
                continue;
            }
            for (String part : header.getValue().split(";")) {
                String pair = part.strip();
                if (pair.startsWith(prefix)) {
                    return SessionSecret.parse(pair.substring(prefix.length()));
                }
            }
        }
        return Optional.empty();
    }

    static Optional<String> header(ProxyRequest request, String name) {
        return PublicRequests.header(request, name);
    }

    static String pathOf(ProxyRequest request) {
        return PublicRequests.pathOf(request);
    }

    private static String hex(byte[] hash) {
        return HexFormat.of().formatHex(hash);
    }

    private static byte[] randomBytes(int count) {
        byte[] bytes = new byte[count];
        RANDOM.nextBytes(bytes);
        return bytes;
    }
}
