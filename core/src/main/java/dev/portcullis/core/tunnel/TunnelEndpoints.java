package dev.portcullis.core.tunnel;

import dev.portcullis.core.component.ComponentRegistry;
import dev.portcullis.core.enroll.PublicAnswers;
import dev.portcullis.core.enroll.PublicJson;
import dev.portcullis.core.enroll.PublicRequests;
import dev.portcullis.core.error.BadRequestException;
import dev.portcullis.core.error.PortcullisException;
import dev.portcullis.core.link.ComponentRecord;
import dev.portcullis.core.link.PublicRequestHandler;
import dev.portcullis.core.tunnel.DeviceAuthentication.AuthenticatedDevice;
import dev.portcullis.protocol.v1.ProxyRequest;
import dev.portcullis.protocol.v1.ProxyResponse;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tunnel-session API ({@code /api/v1/tunnel/*}, SESSION-API.md) as edge proxies forward it.
 * This is the boundary: it matches the call, authenticates the device (every call but the
 * browser hand-off's two, whose token is the bearer), checks the browser's Origin against the
 * proxy's public origin, reads strict JSON, calls one step of {@link TunnelMfa} and maps the result,
 * or the typed refusal, to a response once. Never a stack trace, SQL or secret in an answer.
 */
public final class TunnelEndpoints implements PublicRequestHandler {

    private static final Logger LOG = LoggerFactory.getLogger(TunnelEndpoints.class);
    static final String PREFIX = "/api/v1/tunnel/";
    private static final String SESSIONS = PREFIX + "sessions";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ComponentRegistry registry;
    private final DeviceAuthentication authentication;
    private final TunnelMfa mfa;

    TunnelEndpoints(ComponentRegistry registry, DeviceAuthentication authentication, TunnelMfa mfa) {
        this.registry = registry;
        this.authentication = authentication;
        this.mfa = mfa;
    }

    /** Whether a path is this API's. */
    public static boolean serves(String path) {
        return path.startsWith(PREFIX);
    }

    /** The calls of SESSION-API.md; {@code device} when the device signs them. */
    private enum Route {
        LOCATIONS("GET", PREFIX + "locations", true),
        START("POST", SESSIONS, true),
        LIST("GET", SESSIONS, true),
        FINISH("POST", SESSIONS + "/finish", true),
        REVOKE("DELETE", SESSIONS + "/", true),
        WEBAUTHN_OPTIONS("POST", PREFIX + "webauthn/options", false),
        WEBAUTHN_FINISH("POST", PREFIX + "webauthn/finish", false);

        final String method;
        final String path;
        final boolean device;

        Route(String method, String path, boolean device) {
            this.method = method;
            this.path = path;
            this.device = device;
        }

        /** {@code GET} and {@code POST} share {@code /sessions}; {@code DELETE} takes the id after it. */
        static Optional<Route> of(String method, String path) {
            if (path.startsWith(REVOKE.path) && !path.equals(FINISH.path)) {
                return Optional.of(REVOKE);
            }
            Optional<Route> other = Optional.empty();
            for (Route route : values()) {
                if (route != REVOKE && route.path.equals(path)) {
                    if (route.method.equals(method)) {
                        return Optional.of(route);
                    }
                    other = Optional.of(route);
                }
            }
            return other;
        }
    }

    @Override
    public ProxyResponse handle(ProxyRequest request, ComponentRecord edgeProxy) {
        try {
            return route(request, edgeProxy);
        } catch (TunnelRefusal e) {
            ProxyResponse answer = PublicAnswers.json(e.httpStatus(), e.body());
            return e.retryAfterSeconds().isPresent() ? answer.toBuilder()
                    .addHeaders(PublicAnswers.header("retry-after", Long.toString(e.retryAfterSeconds().getAsLong()))).build()
                    : answer;
        } catch (PortcullisException e) {
            return PublicAnswers.refusal(e);
        } catch (RuntimeException e) {
            byte[] bytes = new byte[4];
            RANDOM.nextBytes(bytes);
            String reference = HexFormat.of().formatHex(bytes);
            LOG.error("tunnel request {} via edge-proxy '{}' failed, ref={}", PublicRequests.pathOf(request), edgeProxy.name(),
                    reference, e);
            return PublicAnswers.error(500, "Something went wrong on our side (ref " + reference + "). Try again in a minute.");
        }
    }

    private ProxyResponse route(ProxyRequest request, ComponentRecord edgeProxy) {
        String path = PublicRequests.pathOf(request);
        Optional<Route> found = Route.of(request.getMethod(), path);
        if (found.isEmpty()) {
            return PublicAnswers.error(404, "not found");
        }
        Route route = found.get();
        if (!route.method.equals(request.getMethod())) {
            return PublicAnswers.error(405, "method not allowed");
        }
        if (request.getBody().size() > PublicRequests.MAX_BODY_BYTES) {
            return PublicAnswers.error(413, "The request is too large.");
        }
        if ("POST".equals(route.method) && !PublicRequests.isJson(request)) {
            return PublicAnswers.error(415, "Send the request as application/json.");
        }
        Optional<String> origin = PublicRequests.publicOrigin(registry, edgeProxy);
        if (!route.device && origin.isEmpty()) {
            LOG.warn("edge-proxy '{}' forwards the MFA hand-off but has no public origin; set one with "
                    + "`portcullis-admin component set {} --public-origin https://…`", edgeProxy.name(), edgeProxy.name());
            return PublicAnswers.error(503, "Sign-in with a security key is not set up on this address yet. Ask your administrator.");
        }
        if (origin.isPresent()) {
            PublicRequests.requireSameOrigin(request, origin.get());
        } else if (PublicRequests.header(request, "origin").isPresent()) {
            PublicRequests.requireSameOrigin(request, "");
        }
        String source = request.getClientAddress().isBlank() ? "-" : request.getClientAddress();
        byte[] body = request.getBody().toByteArray();
        if (!route.device) {
            return switch (route) {
                case WEBAUTHN_OPTIONS -> webAuthnOptions(body, origin.get());
                case WEBAUTHN_FINISH -> webAuthnFinish(body, origin.get(), source);
                default -> throw new IllegalStateException("unhandled route " + route);
            };
        }
        AuthenticatedDevice device = authentication.authenticate(request);
        return switch (route) {
            case LOCATIONS -> PublicAnswers.json(200, mfa.locations(device));
            case START -> PublicAnswers.json(201, mfa.start(device, PublicJson.read(body, TunnelJson.StartRequest.class), source,
                    origin));
            case LIST -> PublicAnswers.json(200, mfa.sessions(device));
            case FINISH -> finish(device, body, source);
            case REVOKE -> {
                mfa.revoke(device, path.substring(Route.REVOKE.path.length()), source);
                yield PublicAnswers.noContent();
            }
            default -> throw new IllegalStateException("unhandled route " + route);
        };
    }

    private ProxyResponse finish(AuthenticatedDevice device, byte[] body, String source) {
        TunnelMfa.Finish finish = mfa.finish(device, PublicJson.read(body, TunnelJson.FinishRequest.class), source);
        if (finish instanceof TunnelMfa.Waiting waiting) {
            return PublicAnswers.json(202, new TunnelJson.Waiting("waiting", waiting.expiresAt().toString()));
        }
        return PublicAnswers.json(200, new TunnelJson.Finished(((TunnelMfa.Admitted) finish).session()));
    }

    private ProxyResponse webAuthnOptions(byte[] body, String origin) {
        Optional<HandoffToken> token = HandoffToken.parse(PublicJson.read(body, TunnelJson.TokenRequest.class).token());
        if (token.isEmpty()) {
            return PublicAnswers.error(404, TunnelMfa.INVALID_LINK);
        }
        return PublicAnswers.json(200, mfa.webAuthnOptions(token.get(), origin));
    }

    private ProxyResponse webAuthnFinish(byte[] body, String origin, String source) {
        TunnelJson.WebAuthnFinishRequest finish = PublicJson.read(body, TunnelJson.WebAuthnFinishRequest.class);
        Optional<HandoffToken> token = HandoffToken.parse(finish.token());
        if (token.isEmpty()) {
            return PublicAnswers.error(404, TunnelMfa.INVALID_LINK);
        }
        if (finish.credential() == null || !finish.credential().isObject()) {
            throw new BadRequestException("Send the security key's answer as \"credential\".");
        }
        mfa.webAuthnFinish(token.get(), finish.credential().toString(), origin, source);
        return PublicAnswers.noContent();
    }
}
