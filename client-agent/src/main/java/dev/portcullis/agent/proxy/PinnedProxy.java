package dev.portcullis.agent.proxy;

import dev.portcullis.agent.api.EnrollmentApi.ErrorAnswer;
import dev.portcullis.agent.api.Json;
import dev.portcullis.agent.outcome.AgentFailure;
import dev.portcullis.agent.outcome.ExitCode;
import dev.portcullis.agent.terminal.Output;
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
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;

/**
 * HTTPS to one edge-proxy that trusts exactly one pinned anchor ({@link PinnedAnchorTrustManager}:
 * chain, dates and host name checked too), speaks TLS 1.3 only, never follows redirects and never
 * goes through an HTTP proxy. Used for enrollment (pin from the invite link) and for tunnel
 * sessions (the same pin, kept in {@code enrollment.json}).
 * <p>
 * Transport failures become {@link AgentFailure}s: the pin or TLS
 * ({@link ExitCode#UNTRUSTED_SERVER}), the network ({@link ExitCode#UNREACHABLE}). Thread-safe:
 * immutable, and {@link HttpClient} is.
 */
public final class PinnedProxy {

    /** Enough for a slow mobile link; short enough that a wrong address fails while the user waits. */
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** Core answers in milliseconds; hashing a password or admitting on gateways takes seconds; the rest covers a busy proxy. */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    /** The largest answer (a user's sessions, a device with its locations) is a few KiB; a hostile answer is cut off here. */
    public static final int MAX_ANSWER_BYTES = 256 * 1024;
    /** TLS 1.3 only: the proxy speaks it, and it leaves no older cipher suite to negotiate down to. */
    static final String[] PROTOCOLS = {"TLSv1.3"};

    private final URI origin;
    private final byte[] pin;
    private final SSLContext tls;
    private final HttpClient http;

    private PinnedProxy(URI origin, byte[] pin, SSLContext tls, HttpClient http) {
        this.origin = origin;
        this.pin = pin;
        this.tls = tls;
        this.http = http;
    }

    /** A client for {@code origin} that trusts only {@code pin} (SHA-256 of the anchor). Opens no connection yet. */
    public static PinnedProxy to(URI origin, byte[] pin) {
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
            return new PinnedProxy(origin, pin.clone(), tls, http);
        } catch (GeneralSecurityException e) {
            throw new AgentFailure(ExitCode.INTERNAL, "this Java runtime cannot do TLS 1.3", e);
        }
    }

    public URI origin() {
        return origin;
    }

    /** A request builder for {@code pathAndQuery} on this proxy, with JSON accepted. */
    public HttpRequest.Builder request(String pathAndQuery) {
        return HttpRequest.newBuilder(origin.resolve(pathAndQuery)).header("Accept", "application/json");
    }

    /**
     * Opens one TLS connection and closes it again: proves that the proxy presents a chain up to the
     * pinned anchor for this host before any request is sent.
     */
    public void verify() {
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

    /** Sends with the default {@link #REQUEST_TIMEOUT}. */
    public Answer send(HttpRequest.Builder request) {
        return send(request, REQUEST_TIMEOUT);
    }

    /** Sends and reads the whole (bounded) answer; any status is returned, transport failures thrown. */
    public Answer send(HttpRequest.Builder request, Duration timeout) {
        try {
            HttpResponse<InputStream> response = http.send(request.timeout(timeout).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = response.body()) {
                byte[] bytes = in.readNBytes(MAX_ANSWER_BYTES + 1);
                if (bytes.length > MAX_ANSWER_BYTES) {
                    throw new AgentFailure(ExitCode.SERVER_REFUSED, "the server's answer is larger than " + MAX_ANSWER_BYTES + " bytes");
                }
                return new Answer(response.statusCode(), response.headers(), bytes);
            }
        } catch (IOException | UnresolvedAddressException e) {
            throw failure(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentFailure(ExitCode.UNREACHABLE, "interrupted while waiting for " + origin);
        }
    }

    /** Maps a transport failure to what the user can do about it. Messages name no secret. */
    public AgentFailure failure(Exception e) {
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
            return new AgentFailure(ExitCode.UNREACHABLE, "cannot find " + bare(origin.getHost())
                    + " (DNS); check the address and this device's network", e);
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
        return "PinnedProxy[" + origin + "]";
    }

    /** One HTTP answer with its bounded body. */
    public record Answer(int status, HttpHeaders headers, byte[] body) {

        /** The server's {@code {"error"}} message, cleaned of control characters, if it sent one. */
        public Optional<String> errorMessage() {
            try {
                ErrorAnswer error = Json.mapper().readValue(body, ErrorAnswer.class);
                return Optional.ofNullable(error.error()).filter(m -> !m.isBlank()).map(Output::safe);
            } catch (IOException | RuntimeException e) {
                return Optional.empty();
            }
        }

        /** {@code Retry-After} in seconds, if present and sane. */
        public Optional<Long> retryAfterSeconds() {
            return headers.firstValue("Retry-After").filter(seconds -> seconds.matches("[0-9]{1,6}")).map(Long::parseLong);
        }

        /** Parses the body as {@code type}; a body that is not that JSON ends the command. */
        public <T> T parse(Class<T> type, String what) {
            try {
                T value = Json.mapper().readValue(body, type);
                if (value == null) {
                    throw new IOException("empty");
                }
                return value;
            } catch (IOException e) {
                throw new AgentFailure(ExitCode.SERVER_REFUSED, "the server's answer to " + what + " is not the JSON this agent expects");
            }
        }

        @Override
        public String toString() {
            return "Answer[" + status + ", " + body.length + " bytes]";
        }
    }
}
