package dev.portcullis.agent.tunnel;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.portcullis.agent.api.Json;
import dev.portcullis.agent.api.TunnelApi;
import dev.portcullis.agent.api.TunnelApi.Admitted;
import dev.portcullis.agent.api.TunnelApi.FinishRefusal;
import dev.portcullis.agent.api.TunnelApi.Locations;
import dev.portcullis.agent.api.TunnelApi.Session;
import dev.portcullis.agent.api.TunnelApi.Sessions;
import dev.portcullis.agent.api.TunnelApi.Started;
import dev.portcullis.agent.enroll.ServerRefusal;
import dev.portcullis.agent.outcome.AgentFailure;
import dev.portcullis.agent.outcome.ExitCode;
import dev.portcullis.agent.proxy.PinnedProxy;
import dev.portcullis.agent.proxy.PinnedProxy.Answer;
import dev.portcullis.agent.state.EnrollmentRecord;
import dev.portcullis.agent.state.StateDirectory;
import dev.portcullis.pki.enroll.TrustAnchorPin;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Core's tunnel API, through the pinned proxy from {@code enrollment.json}, every call signed with
 * the device credential ({@link DeviceSigner}). 4xx answers become {@link ServerRefusal}s with
 * core's own message; 5xx and transport failures {@link ExitCode#UNREACHABLE}.
 */
public final class TunnelClient {

    /** Attempt and session ids as core makes them (43 and 22 base64url characters); nothing else goes in a path. */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{8,64}");

    private final PinnedProxy proxy;
    private final DeviceSigner signer;
    private final Clock clock;

    TunnelClient(PinnedProxy proxy, DeviceSigner signer, Clock clock) {
        this.proxy = proxy;
        this.signer = signer;
        this.clock = clock;
    }

    /** The client for this device's enrollment: its proxy, its pin, its credential. */
    public static TunnelClient of(StateDirectory state, Clock clock) {
        EnrollmentRecord record = state.loadEnrollment().orElseThrow(() -> AgentFailure.localState(
                "this device is not enrolled (nothing in " + state.path() + "); run: portcullis-agent enroll '<invite link>'"));
        byte[] pin;
        URI origin;
        try {
            pin = TrustAnchorPin.decode(record.trustAnchorSha256());
            origin = URI.create(record.origin());
            if (!"https".equals(origin.getScheme()) || origin.getHost() == null) {
                throw new IllegalArgumentException("not https");
            }
        } catch (RuntimeException e) {
            throw AgentFailure.localState("enrollment.json has no usable proxy origin or pin; enroll again with --force");
        }
        return new TunnelClient(PinnedProxy.to(origin, pin), new DeviceSigner(record.device().id(), state.loadCredential()), clock);
    }

    public URI origin() {
        return proxy.origin();
    }

    public Locations locations() {
        return locations(PinnedProxy.REQUEST_TIMEOUT);
    }

    public Locations locations(Duration timeout) {
        Answer answer = call("GET", TunnelApi.LOCATIONS, null, timeout);
        expect(answer, 200, "the locations");
        return answer.parse(Locations.class, TunnelApi.LOCATIONS);
    }

    public Sessions sessions() {
        Answer answer = call("GET", TunnelApi.SESSIONS, null, PinnedProxy.REQUEST_TIMEOUT);
        expect(answer, 200, "the sessions");
        return answer.parse(Sessions.class, TunnelApi.SESSIONS);
    }

    /** {@code POST sessions}: starts an MFA attempt for {@code location}. */
    public Started start(String location, String method) {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("location", location);
        body.put("method", method);
        Answer answer = call("POST", TunnelApi.SESSIONS, body, PinnedProxy.REQUEST_TIMEOUT);
        expect(answer, 201, "starting a session");
        Started started = answer.parse(Started.class, TunnelApi.SESSIONS);
        if (started.attempt() == null || !ID.matcher(started.attempt()).matches()) {
            throw new AgentFailure(ExitCode.SERVER_REFUSED, "the server did not start a sign-in attempt (no attempt id)");
        }
        return started;
    }

    /** What one {@code finish} call ended in, when it is not a failure that ends the command. */
    public sealed interface Finish {
    }

    /** 200: every gateway admitted the device; the session holds its preshared key. */
    public record Done(Session session) implements Finish {
    }

    /** 202: WebAuthn, the browser has not asserted yet. */
    public record Waiting() implements Finish {
    }

    /** 401 or 409 with attemptsLeft: a wrong or replayed TOTP code; the attempt stays open. */
    public record WrongCode(String message, int attemptsLeft) implements Finish {
    }

    /**
     * {@code POST sessions/finish}. A 429 (with when to try again), 410 and anything unexpected end
     * the command ({@link ExitCode#SERVER_REFUSED}); a 503 ({@link ExitCode#UNREACHABLE}) carries
     * core's message naming the gateway that did not confirm.
     */
    public Finish finish(String attempt, String code) {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("attempt", attempt);
        if (code != null) {
            body.put("code", code);
        }
        Answer answer = call("POST", TunnelApi.FINISH, body, PinnedProxy.REQUEST_TIMEOUT);
        switch (answer.status()) {
            case 200 -> {
                Admitted admitted = answer.parse(Admitted.class, TunnelApi.FINISH);
                Session session = admitted.session();
                if (session == null || session.id() == null || !ID.matcher(session.id()).matches() || session.presharedKey() == null
                        || session.notAfter() == null || session.gateways().isEmpty() || session.address() == null) {
                    throw new AgentFailure(ExitCode.SERVER_REFUSED, "the server admitted the session but its answer is incomplete");
                }
                return new Done(session);
            }
            case 202 -> {
                return new Waiting();
            }
            case 401, 409 -> {
                FinishRefusal refusal = refusal(answer);
                if (refusal != null && refusal.attemptsLeft() != null) {
                    return new WrongCode(answer.errorMessage().orElse("That code did not match."), Math.max(0, refusal.attemptsLeft()));
                }
                expect(answer, 200, "finishing the sign-in");
                throw new IllegalStateException("unreachable");
            }
            default -> {
                expect(answer, 200, "finishing the sign-in");
                throw new IllegalStateException("unreachable");
            }
        }
    }

    /** {@code DELETE sessions/<id>}: true when core ended it, false when it was not live (404). */
    public boolean end(String sessionId) {
        if (sessionId == null || !ID.matcher(sessionId).matches()) {
            return false;
        }
        String path = TunnelApi.SESSIONS + "/" + URLEncoder.encode(sessionId, StandardCharsets.UTF_8);
        Answer answer = call("DELETE", path, null, PinnedProxy.REQUEST_TIMEOUT);
        if (answer.status() == 404) {
            return false;
        }
        expect(answer, 204, "ending the session");
        return true;
    }

    private static FinishRefusal refusal(Answer answer) {
        try {
            return Json.mapper().readValue(answer.body(), FinishRefusal.class);
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }

    private Answer call(String method, String path, Map<String, String> body, Duration timeout) {
        byte[] json;
        try {
            json = body == null ? new byte[0] : Json.mapper().writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new AgentFailure(ExitCode.INTERNAL, "cannot encode the request", e);
        }
        try {
            HttpRequest.Builder request = proxy.request(path)
                    .header(TunnelApi.DEVICE_AUTH_HEADER, signer.header(method, path, clock.instant(), json));
            if (body == null) {
                request.method(method, HttpRequest.BodyPublishers.noBody());
            } else {
                request.header("Content-Type", "application/json; charset=utf-8")
                        .method(method, HttpRequest.BodyPublishers.ofByteArray(json));
            }
            return proxy.send(request, timeout);
        } finally {
            Arrays.fill(json, (byte) 0);
        }
    }

    private void expect(Answer answer, int expectedStatus, String what) {
        int status = answer.status();
        if (status == expectedStatus) {
            return;
        }
        Optional<String> message = answer.errorMessage();
        if (status >= 400 && status < 500) {
            String text = message.orElse("the server refused " + what + " (HTTP " + status + ")");
            if (status == 429) {
                text += answer.retryAfterSeconds().map(seconds -> " (try again in " + seconds + " s)").orElse(" (try again later)");
            }
            throw new ServerRefusal(status, text);
        }
        if (status >= 500) {
            throw new AgentFailure(ExitCode.UNREACHABLE, proxy.origin() + " answered HTTP " + status
                    + message.map(m -> ": " + m).orElse(": the tunnel service is not available; try again later"));
        }
        throw new AgentFailure(ExitCode.SERVER_REFUSED, proxy.origin() + " answered " + what + " with an unexpected HTTP " + status);
    }

    @Override
    public String toString() {
        return "TunnelClient[" + proxy.origin() + "]";
    }
}
