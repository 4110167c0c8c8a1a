package dev.portcullis.agent.enroll;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.portcullis.agent.api.EnrollmentApi;
import dev.portcullis.agent.api.EnrollmentApi.ErrorAnswer;
import dev.portcullis.agent.api.EnrollmentApi.Redeemed;
import dev.portcullis.agent.api.Json;
import dev.portcullis.agent.outcome.AgentFailure;
import dev.portcullis.agent.outcome.ExitCode;
import dev.portcullis.agent.terminal.Output;
import dev.portcullis.pki.enroll.InviteLink;
import dev.portcullis.pki.enroll.PinnedAnchorTrustManager;
import dev.portcullis.pki.enroll.PinnedAnchorTrustManager.UntrustedServerException;
import dev.portcullis.pki.enroll.TrustAnchorPin;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;

/**
 * The agent's HTTPS client for the enrollment API of one edge-proxy. Trusts exactly the invite
 * link's pin ({@link PinnedAnchorTrustManager}: chain, dates and host name checked too), speaks
 * TLS 1.3 only, never follows redirects and sends no proxy credentials. After redeem it carries the
 * session cookie and the CSRF header on every call.
 * <p>
 * Failures become {@link AgentFailure}s with an exit code: the pin or TLS
 * ({@link ExitCode#UNTRUSTED_SERVER}), the network or a 5xx ({@link ExitCode#UNREACHABLE}), a 4xx
 * ({@link ServerRefusal}, the server's own message).
 */
final class EnrollmentClient {

    /** Enough for a slow mobile link; short enough that a wrong address fails while the user waits. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** Core answers in milliseconds; hashing a password takes under a second; the rest covers a busy proxy. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    /** The largest answer (a device with its locations) is a few KiB; a hostile answer is cut off here. */
    static final int MAX_ANSWER_BYTES = 256 * 1024;
    /** TLS 1.3 only: the proxy speaks it, and it leaves no older cipher suite to negotiate down to. */
    static final String[] PROTOCOLS = {"TLSv1.3"};
    /** What a cookie or CSRF value may look like; core makes 43-character base64url values. */
    private static final Pattern BEARER_VALUE = Pattern.compile("[A-Za-z0-9_-]{16,256}");

    private final URI origin;
    private final byte[] pin;
    private final SSLContext tls;
    private final HttpClient http;
    private EnrollSession session;

    private EnrollmentClient(URI origin, byte[] pin, SSLContext tls, HttpClient http) {
        this.origin = origin;
        this.pin = pin;
        this.tls = tls;
        this.http = http;
    }

    /** A client for the invite's proxy that trusts only the invite's pin. Opens no connection yet. */
    static EnrollmentClient forInvite(InviteLink invite) {
        byte[] pin = invite.trustAnchorSha256();
        try {
            SSLContext tls = SSLContext.getInstance("TLSv1.3");
            tls.init(null, new TrustManager[] {PinnedAnchorTrustManager.pinning(pin)}, new SecureRandom());
            SSLParameters parameters = new SSLParameters();
            parameters.setProtocols(PROTOCOLS);
            HttpClient http = HttpClient.newBuilder()
                    .sslContext(tls)
                    .sslParameters(parameters)
                    .connectTimeout(CONNECT_TIMEOUT)
                    .followRedirects(HttpClient.Redirect.NEVER)
                    .proxy(HttpClient.Builder.NO_PROXY)
                    .build();
            return new EnrollmentClient(invite.origin(), pin, tls, http);
        } catch (GeneralSecurityException e) {
            throw new AgentFailure(ExitCode.INTERNAL, "this Java runtime cannot do TLS 1.3", e);
        }
    }

    URI origin() {
        return origin;
    }

    /**
     * Opens one TLS connection and closes it again: proves that the proxy presents a chain up to the
     * pinned anchor for this host before any request, and so before the token, is sent.
     */
    void verifyProxy() {
        String host = bare(origin.getHost());
        int port = origin.getPort() == -1 ? 443 : origin.getPort();
        try (Socket plain = new Socket()) {
            plain.connect(new InetSocketAddress(host, port), (int) CONNECT_TIMEOUT.toMillis());
            try (SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket(plain, host, port, false)) {
                socket.setSoTimeout((int) REQUEST_TIMEOUT.toMillis());
                socket.setEnabledProtocols(PROTOCOLS);
                socket.startHandshake();
            }
        } catch (IOException | UnresolvedAddressException e) {
            throw failure(e);
        }
    }

    /** {@code POST redeem}: opens the enrollment session. */
    Redeemed redeem(String token) {
        Answer answer = send(EnrollmentApi.REDEEM, Map.of("token", token));
        expect(answer, 200, EnrollmentApi.REDEEM);
        Redeemed redeemed = parse(answer, Redeemed.class, EnrollmentApi.REDEEM);
        String cookie = sessionCookie(answer.response());
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
        return parse(answer, answerType, path);
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
        HttpRequest.Builder request = HttpRequest.newBuilder(origin.resolve(path))
                .timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/json; charset=utf-8")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json));
        if (session != null) {
            request.header("Cookie", EnrollmentApi.SESSION_COOKIE + "=" + session.cookie())
                    .header(EnrollmentApi.CSRF_HEADER, session.csrf());
        }
        try {
            HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = response.body()) {
                byte[] bytes = in.readNBytes(MAX_ANSWER_BYTES + 1);
                if (bytes.length > MAX_ANSWER_BYTES) {
                    throw new AgentFailure(ExitCode.SERVER_REFUSED, "the server's answer is larger than " + MAX_ANSWER_BYTES + " bytes");
                }
                return new Answer(response, bytes);
            }
        } catch (IOException | UnresolvedAddressException e) {
            throw failure(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentFailure(ExitCode.UNREACHABLE, "interrupted while waiting for " + origin);
        } finally {
            Arrays.fill(json, (byte) 0);
        }
    }

    private void expect(Answer answer, int expectedStatus, String path) {
        int status = answer.response().statusCode();
        if (status == expectedStatus) {
            return;
        }
        Optional<String> message = errorMessage(answer);
        if (status >= 400 && status < 500) {
            String text = message.orElse("the server refused " + path + " (HTTP " + status + ")");
            if (status == 429) {
                text += answer.response().headers().firstValue("Retry-After")
                        .filter(seconds -> seconds.matches("[0-9]{1,6}"))
                        .map(seconds -> " (try again in " + seconds + " s)").orElse(" (try again later)");
            }
            throw new ServerRefusal(status, text);
        }
        if (status >= 500) {
            throw new AgentFailure(ExitCode.UNREACHABLE, origin + " answered HTTP " + status
                    + message.map(m -> ": " + m).orElse(": the enrollment service is not available; try again later"));
        }
        throw new AgentFailure(ExitCode.SERVER_REFUSED, origin + " answered " + path + " with an unexpected HTTP " + status);
    }

    private static Optional<String> errorMessage(Answer answer) {
        try {
            ErrorAnswer error = Json.mapper().readValue(answer.body(), ErrorAnswer.class);
            return Optional.ofNullable(error.error()).filter(m -> !m.isBlank()).map(Output::safe);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static <T> T parse(Answer answer, Class<T> type, String path) {
        try {
            T value = Json.mapper().readValue(answer.body(), type);
            if (value == null) {
                throw new IOException("empty");
            }
            return value;
        } catch (IOException e) {
            throw new AgentFailure(ExitCode.SERVER_REFUSED, "the server's answer to " + path + " is not the JSON this agent expects");
        }
    }

    private static String sessionCookie(HttpResponse<?> response) {
        String prefix = EnrollmentApi.SESSION_COOKIE + "=";
        for (String header : response.headers().allValues("Set-Cookie")) {
            if (header.startsWith(prefix)) {
                int end = header.indexOf(';');
                String value = header.substring(prefix.length(), end < 0 ? header.length() : end).strip();
                return BEARER_VALUE.matcher(value).matches() ? value : null;
            }
        }
        return null;
    }

    /** Maps a transport failure to what the user can do about it. Messages name no secret. */
    private AgentFailure failure(Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UntrustedServerException untrusted) {
                return new AgentFailure(ExitCode.UNTRUSTED_SERVER, untrustedMessage(untrusted), e);
            }
        }
        if (e instanceof SSLException) {
            return new AgentFailure(ExitCode.UNTRUSTED_SERVER, "TLS 1.3 with " + origin + " failed (" + e.getMessage()
                    + "); the address may not be a Portcullis edge-proxy", e);
        }
        if (e instanceof UnknownHostException || e instanceof UnresolvedAddressException
                || e.getCause() instanceof UnresolvedAddressException) {
            return new AgentFailure(ExitCode.UNREACHABLE, "cannot find " + bare(origin.getHost()) + " (DNS); check the link and this device's network", e);
        }
        if (e instanceof HttpConnectTimeoutException || e instanceof HttpTimeoutException || e instanceof SocketTimeoutException) {
            return new AgentFailure(ExitCode.UNREACHABLE, origin + " did not answer in time; check this device's network and try again", e);
        }
        if (e instanceof ConnectException) {
            return new AgentFailure(ExitCode.UNREACHABLE, "cannot connect to " + origin + "; check this device's network and try again", e);
        }
        return new AgentFailure(ExitCode.UNREACHABLE, "network error talking to " + origin + " (" + e.getClass().getSimpleName() + ")", e);
    }

    private String untrustedMessage(UntrustedServerException e) {
        String pinText = "#ca=" + TrustAnchorPin.encode(pin);
        return switch (e.reason()) {
            case PIN_MISMATCH -> "the proxy's certificate does not match the invite link's pin (" + pinText + "). "
                    + "Someone may be intercepting the connection, or the proxy's certificate changed after the invite "
                    + "was made. The connection was closed before anything was sent. Ask your administrator for a new invite link.";
            case HOSTNAME_MISMATCH -> "the proxy's certificate matches the invite link's pin but " + e.getMessage()
                    + ". The connection was closed before anything was sent. Ask your administrator to check the proxy's public address.";
            case EXPIRED -> "the proxy's certificate matches the invite link's pin but " + e.getMessage()
                    + ". The connection was closed before anything was sent.";
            case BROKEN_CHAIN -> "the proxy's certificate chain is not valid up to the invite link's pin: " + e.getMessage()
                    + ". The connection was closed before anything was sent.";
        };
    }

    private static String bare(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    @Override
    public String toString() {
        return "EnrollmentClient[" + origin + ", session=" + (session == null ? "none" : "<redacted>") + "]";
    }

    /** One HTTP answer with its bounded body. */
    private record Answer(HttpResponse<InputStream> response, byte[] body) {
    }
}
