package dev.portcullis.agent.enroll;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.portcullis.agent.api.EnrollmentApi;
import dev.portcullis.agent.api.EnrollmentApi.Redeemed;
import dev.portcullis.agent.api.Json;
import dev.portcullis.agent.outcome.AgentFailure;
import dev.portcullis.agent.outcome.ExitCode;
import dev.portcullis.agent.proxy.PinnedProxy;
import dev.portcullis.agent.proxy.PinnedProxy.Answer;
import dev.portcullis.pki.enroll.InviteLink;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The agent's HTTPS client for the enrollment API of one edge-proxy, over a {@link PinnedProxy}
 * that trusts exactly the invite link's pin. After redeem it carries the session cookie and the
 * CSRF header on every call.
 * <p>
 * Failures become {@link AgentFailure}s with an exit code: the pin or TLS
 * ({@link ExitCode#UNTRUSTED_SERVER}), the network or a 5xx ({@link ExitCode#UNREACHABLE}), a 4xx
 * ({@link ServerRefusal}, the server's own message).
 */
final class EnrollmentClient {

    /** What a cookie or CSRF value may look like; core makes 43-character base64url values. */
    private static final Pattern BEARER_VALUE = Pattern.compile("[A-Za-z0-9_-]{16,256}");

    private final PinnedProxy proxy;
    private EnrollSession session;

    private EnrollmentClient(PinnedProxy proxy) {
        this.proxy = proxy;
    }

    /** A client for the invite's proxy that trusts only the invite's pin. Opens no connection yet. */
    static EnrollmentClient forInvite(InviteLink invite) {
        return new EnrollmentClient(PinnedProxy.to(invite.origin(), invite.trustAnchorSha256()));
    }

    URI origin() {
        return proxy.origin();
    }

    /**
     * Opens one TLS connection and closes it again: proves that the proxy presents a chain up to the
     * pinned anchor for this host before any request, and so before the token, is sent.
     */
    void verifyProxy() {
        proxy.verify();
    }

    /** {@code POST redeem}: opens the enrollment session. */
    Redeemed redeem(String token) {
        Answer answer = send(EnrollmentApi.REDEEM, Map.of("token", token));
        expect(answer, 200, EnrollmentApi.REDEEM);
        Redeemed redeemed = answer.parse(Redeemed.class, EnrollmentApi.REDEEM);
        String cookie = sessionCookie(answer.headers());
        if (cookie == null || redeemed.csrf() == null || !BEARER_VALUE.matcher(redeemed.csrf()).matches()
                || redeemed.user() == null || redeemed.requires() == null) {
            throw new AgentFailure(ExitCode.SERVER_REFUSED, "the server did not open an enrollment session (no session cookie or CSRF value)");
        }
        session = new EnrollSession(cookie, redeemed.csrf());
        return redeemed;
    }

    /** A state-changing call in the session; returns the parsed answer. */
    <T> T post(String path, Map<String, ?> body, int expectedStatus, Class<T> answerType) {
        Answer answer = send(path, body);
        expect(answer, expectedStatus, path);
        return answer.parse(answerType, path);
    }

    /** A state-changing call in the session that answers 204. */
    void postNoContent(String path, Map<String, ?> body) {
        expect(send(path, body), 204, path);
    }

    private Answer send(String path, Map<String, ?> body) {
        byte[] json;
        try {
            json = Json.mapper().writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new AgentFailure(ExitCode.INTERNAL, "cannot encode the request", e);
        }
        HttpRequest.Builder request = proxy.request(path)
                .header("Content-Type", "application/json; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json));
        if (session != null) {
            request.header("Cookie", EnrollmentApi.SESSION_COOKIE + "=" + session.cookie())
                    .header(EnrollmentApi.CSRF_HEADER, session.csrf());
        }
        try {
            return proxy.send(request);
        } finally {
            Arrays.fill(json, (byte) 0);
        }
    }

    private void expect(Answer answer, int expectedStatus, String path) {
        int status = answer.status();
        if (status == expectedStatus) {
            return;
        }
        Optional<String> message = answer.errorMessage();
        if (status >= 400 && status < 500) {
            String text = message.orElse("the server refused " + path + " (HTTP " + status + ")");
            if (status == 429) {
                text += answer.retryAfterSeconds().map(seconds -> " (try again in " + seconds + " s)").orElse(" (try again later)");
            }
            throw new ServerRefusal(status, text);
        }
        if (status >= 500) {
            throw new AgentFailure(ExitCode.UNREACHABLE, proxy.origin() + " answered HTTP " + status
                    + message.map(m -> ": " + m).orElse(": the enrollment service is not available; try again later"));
        }
        throw new AgentFailure(ExitCode.SERVER_REFUSED, proxy.origin() + " answered " + path + " with an unexpected HTTP " + status);
    }

    private static String sessionCookie(HttpHeaders headers) {
        String prefix = EnrollmentApi.SESSION_COOKIE + "=";
        for (String header : headers.allValues("Set-Cookie")) {
            if (header.startsWith(prefix)) {
                int end = header.indexOf(';');
                String value = header.substring(prefix.length(), end < 0 ? header.length() : end).strip();
                return BEARER_VALUE.matcher(value).matches() ? value : null;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return "EnrollmentClient[" + proxy.origin() + ", session=" + (session == null ? "none" : "<redacted>") + "]";
    }
}
