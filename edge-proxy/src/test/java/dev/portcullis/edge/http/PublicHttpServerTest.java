package dev.portcullis.edge.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.portcullis.edge.forward.Forwarder;
import dev.portcullis.edge.ratelimit.RateLimiter;
import dev.portcullis.edge.ratelimit.RateLimits;
import dev.portcullis.edge.tls.PublicCertificate;
import dev.portcullis.protocol.v1.Header;
import dev.portcullis.protocol.v1.ProxyRequest;
import dev.portcullis.protocol.v1.ProxyResponse;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The public HTTPS side over real TLS on loopback, with a fake core behind the control-stream seam. */
class PublicHttpServerTest {

    private static final int LIMIT_PER_MINUTE = 5;
    private static final PublicCertificate CERTIFICATE = PublicCertificate.ephemeral(Set.of(), Clock.systemUTC());

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private FakeCore core;
    private Forwarder forwarder;
    private RateLimiter limiter;
    private PublicHttpServer server;
    private PublicClient client;

    @BeforeEach
    void start() {
        core = new FakeCore();
        forwarder = new Forwarder(core, Duration.ofMillis(300), Forwarder.MAX_IN_FLIGHT);
        core.attach(forwarder);
        limiter = new RateLimiter(1000, nanos::get, RateLimiter.MAX_TRACKED_CLIENTS);
        server = PublicHttpServer.start(new InetSocketAddress("127.0.0.1", 0), CERTIFICATE, forwarder,
                new RateLimits(limiter, new RateLimiter(1000, nanos::get, RateLimiter.MAX_TRACKED_CLIENTS)));
        client = new PublicClient(CERTIFICATE, server.port());
    }

    @AfterEach
    void stop() {
        server.close();
        core.close();
    }

    @Test
    void forwardingCarriesMethodPathAllowlistedHeadersAndBodyAndReturnsCoresStatusAndBody() throws Exception {
        core.answerWith(request -> ProxyResponse.newBuilder()
                .setStatus(201)
                .addHeaders(header("Content-Type", "application/json"))
                .addHeaders(header("Set-Cookie", "a=1; Secure; HttpOnly"))
                .addHeaders(header("Set-Cookie", "b=2; Secure; HttpOnly"))
                .addHeaders(header("Location", "/enroll/next"))
                .addHeaders(header("Retry-After", "42"))
                .setBody(ByteString.copyFromUtf8("{\"created\":true}"))
                .build());

        HttpResponse<String> response = client.send("POST", "/api/v1/things?x=1&y=%20z", "{\"name\":\"n\"}".getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/json", "Accept", "application/json", "Accept-Language", "de",
                "User-Agent", "portcullis-test", "Cookie", "session=abc");

        assertThat(response.statusCode()).isEqualTo(201);
        assertThat(response.body()).isEqualTo("{\"created\":true}");
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(response.headers().allValues("set-cookie")).containsExactly("a=1; Secure; HttpOnly", "b=2; Secure; HttpOnly");
        assertThat(response.headers().firstValue("location")).hasValue("/enroll/next");
        assertThat(response.headers().firstValue("retry-after")).hasValue("42");

        assertThat(core.received()).hasSize(1);
        ProxyRequest forwarded = core.received().get(0);
        assertThat(forwarded.getRequestId()).isPositive();
        assertThat(forwarded.getMethod()).isEqualTo("POST");
        assertThat(forwarded.getPath()).isEqualTo("/api/v1/things?x=1&y=%20z");
        assertThat(forwarded.getBody().toStringUtf8()).isEqualTo("{\"name\":\"n\"}");
        assertThat(forwarded.getClientAddress()).isEqualTo("127.0.0.1");
        assertThat(headers(forwarded)).containsEntry("content-type", "application/json")
                .containsEntry("accept", "application/json").containsEntry("accept-language", "de")
                .containsEntry("user-agent", "portcullis-test").containsEntry("cookie", "session=abc");
    }

    @Test
    void forwardingCoversEveryMethodUnderApi() throws Exception {
        core.answerWith(request -> ProxyResponse.newBuilder().setStatus(200)
                .setBody(ByteString.copyFromUtf8(request.getMethod() + " " + request.getPath())).build());

        assertThat(client.get("/api/abc").body()).isEqualTo("GET /api/abc");
        for (String method : List.of("PUT", "PATCH", "DELETE")) {
            assertThat(client.send(method, "/api/x", new byte[] {1}).body()).isEqualTo(method + " /api/x");
        }
    }

    @Test
    void enrollmentPagesAreServedByTheProxyAndNeverForwarded() throws Exception {
        core.answerWith(request -> ProxyResponse.newBuilder().setStatus(200).build());

        for (String path : List.of("/enroll/abc", "/reset/abc", "/forgot", "/mfa/" + "M".repeat(43), "/assets/enroll.js", "/assets/mfa.js")) {
            assertThat(client.get(path).statusCode()).as(path).isEqualTo(200);
        }
        assertThat(client.send("POST", "/enroll/abc", new byte[] {1}).statusCode()).isEqualTo(405);
        assertThat(core.received()).isEmpty();
    }

    @Test
    void headersOutsideTheAllowlistAreNotForwardedEitherWay() throws Exception {
        core.answerWith(request -> ProxyResponse.newBuilder()
                .setStatus(200)
                .addHeaders(header("X-Powered-By", "core"))
                .addHeaders(header("Content-Security-Policy", "default-src *"))
                .addHeaders(header("Access-Control-Allow-Origin", "*"))
                .addHeaders(header("Set-Cookie", "evil=1\r\nX-Injected: yes"))
                .build());

        HttpResponse<String> response = client.get("/api/whoami", "Authorization", "Bearer secret", "X-Forwarded-For", "10.0.0.1",
                "X-Custom", "1", "Origin", "https://evil.example", "Accept", "*/*");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        // The JDK client always sends User-Agent, which is allowlisted; Origin is core's to judge (CSRF).
        assertThat(headers(core.received().get(0)).keySet()).containsExactlyInAnyOrder("accept", "user-agent", "origin");
        assertThat(response.headers().firstValue("x-powered-by")).isEmpty();
        assertThat(response.headers().firstValue("access-control-allow-origin")).isEmpty();
        assertThat(response.headers().firstValue("x-injected")).isEmpty();
        assertThat(response.headers().allValues("set-cookie")).isEmpty();
        assertThat(response.headers().firstValue("content-security-policy")).hasValue(SecurityHeadersFilter.CONTENT_SECURITY_POLICY);
    }

    @Test
    void theAgentsDeviceAuthenticationReachesCoreUnchangedAndLookalikeHeadersDoNot() throws Exception {
        core.answerWith(request -> ProxyResponse.newBuilder().setStatus(200).build());
        // SESSION-API.md, "Device authentication": core checks the signature; the proxy only carries it.
        String deviceAuth = "v1 device=6f1c2b9e-3a4d-4e5f-8a7b-9c0d1e2f3a4b, time=1767225600000, "
                + "signature=MEUCIQDx2b3Yf0Zr8S1mN4bT7vW2cE5hJ9kL6pA0dF3gH8iK1oUsAiB7Q";

        HttpResponse<String> response = client.send("POST", "/api/v1/tunnel/sessions",
                "{\"location\":\"office\",\"method\":\"webauthn\"}".getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/json", "X-Portcullis-Device-Auth", deviceAuth,
                "X-Portcullis-Device", "alice-laptop", "X-Portcullis-Auth", "v1", "X-Device-Auth", deviceAuth,
                "Authorization", "Bearer secret", "X-Forwarded-For", "10.0.0.1", "X-Real-IP", "10.0.0.2");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(core.received()).hasSize(1);
        Map<String, String> forwarded = headers(core.received().get(0));
        assertThat(forwarded).containsEntry("x-portcullis-device-auth", deviceAuth);
        // The JDK client always sends User-Agent, which is allowlisted.
        assertThat(forwarded.keySet()).containsExactlyInAnyOrder("content-type", "user-agent", "x-portcullis-device-auth");
    }

    @Test
    void coreAwayAnswers503WithANeutralBody() throws Exception {
        core.setConnected(false);

        HttpResponse<String> response = client.get("/api/anything");

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.body()).isEqualTo("{\"error\":\"service temporarily unavailable\"}");
        assertThat(core.received()).isEmpty();
    }

    @Test
    void coreSilentPastTheTimeoutAnswers504AndForgetsTheRequest() throws Exception {
        core.staysSilent();

        HttpResponse<String> response = client.get("/api/slow");

        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(response.body()).isEqualTo("{\"error\":\"gateway timeout\"}");
        assertThat(forwarder.inFlight()).isZero();
    }

    @Test
    void coreAnsweringWithAnImpossibleStatusAnswers502() throws Exception {
        core.answerWith(request -> ProxyResponse.newBuilder().setStatus(99).build());

        assertThat(client.get("/api/x").statusCode()).isEqualTo(502);
    }

    @Test
    void bodyOver64KiBAnswers413AndIsNotForwarded() throws Exception {
        core.answerWith(request -> ProxyResponse.newBuilder().setStatus(200).build());
        byte[] tooLarge = new byte[64 * 1024 + 1];

        HttpResponse<String> response = client.send("POST", "/api/upload", tooLarge, "Content-Type", "application/octet-stream");

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(response.body()).isEqualTo("{\"error\":\"request too large\"}");
        assertThat(core.received()).isEmpty();
        assertSecurityHeaders(response);
    }

    @Test
    void bodyOfExactly64KiBIsForwarded() throws Exception {
        core.answerWith(request -> ProxyResponse.newBuilder().setStatus(200)
                .setBody(ByteString.copyFromUtf8(Integer.toString(request.getBody().size()))).build());

        HttpResponse<String> response = client.send("POST", "/api/upload", new byte[64 * 1024], "Content-Type", "application/octet-stream");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(Integer.toString(64 * 1024));
    }

    @Test
    void pathsOutsideApiAndThePagesAre404AndNeverReachCore() throws Exception {
        core.answerWith(request -> ProxyResponse.newBuilder().setStatus(200).build());

        for (String path : List.of("/", "/admin", "/api", "/apiary/x", "/enrollment", "/resets/x", "/forgot/x",
                "/assets/", "/assets/nope.js", "/assets/public/enroll.html", "/public/enroll.html", "/.env")) {
            HttpResponse<String> response = client.get(path);
            assertThat(response.statusCode()).as(path).isEqualTo(404);
            assertThat(response.body()).as(path).isEqualTo("{\"error\":\"not found\"}");
        }
        assertThat(core.received()).isEmpty();
    }

    @Test
    void pathsThatCouldEscapeTheirPrefixAre400() throws Exception {
        core.answerWith(request -> ProxyResponse.newBuilder().setStatus(200).build());

        for (String path : List.of("/api/%2e%2e/admin", "/api/..%2fadmin", "/enroll/a%5cb")) {
            assertThat(client.get(path).statusCode()).as(path).isEqualTo(400);
        }
        assertThat(core.received()).isEmpty();
    }

    @Test
    void rateLimitAnswers429AfterTheLimitAndRecovers() throws Exception {
        core.answerWith(request -> ProxyResponse.newBuilder().setStatus(200).build());
        limiter.setRequestsPerMinute(LIMIT_PER_MINUTE);

        for (int i = 0; i < LIMIT_PER_MINUTE; i++) {
            assertThat(client.get("/api/x").statusCode()).isEqualTo(200);
        }
        HttpResponse<String> limited = client.get("/api/x");
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.body()).isEqualTo("{\"error\":\"too many requests\"}");
        assertThat(limited.headers().firstValue("retry-after")).hasValue("12");
        assertThat(client.get("/healthz").statusCode()).as("health checks are not throttled").isEqualTo(200);

        nanos.addAndGet(TimeUnit.SECONDS.toNanos(12));
        assertThat(client.get("/api/x").statusCode()).isEqualTo(200);
        assertThat(client.get("/api/x").statusCode()).isEqualTo(429);
    }

    @Test
    void securityHeadersArePresentOn200And404And429And503() throws Exception {
        core.answerWith(request -> ProxyResponse.newBuilder().setStatus(200).build());
        assertSecurityHeaders(client.get("/healthz"));
        assertSecurityHeaders(client.get("/api/ok"));
        assertSecurityHeaders(client.get("/nowhere"));
        assertSecurityHeaders(client.send("TRACE", "/api/x", new byte[0]));

        limiter.setRequestsPerMinute(1);
        client.get("/api/ok");
        HttpResponse<String> limited = client.get("/api/ok");
        assertThat(limited.statusCode()).isEqualTo(429);
        assertSecurityHeaders(limited);

        limiter.setRequestsPerMinute(1000);
        nanos.addAndGet(TimeUnit.MINUTES.toNanos(1));
        core.setConnected(false);
        HttpResponse<String> unavailable = client.get("/api/ok");
        assertThat(unavailable.statusCode()).isEqualTo(503);
        assertSecurityHeaders(unavailable);
        assertSecurityHeaders(client.get("/healthz"));
    }

    @Test
    void coreMayChooseCacheControlForWhatItServes() throws Exception {
        core.answerWith(request -> ProxyResponse.newBuilder().setStatus(200)
                .addHeaders(header("Cache-Control", "private, max-age=60")).build());

        assertThat(client.get("/api/static").headers().firstValue("cache-control")).hasValue("private, max-age=60");
    }

    @Test
    void healthIs200WhileCoreIsConnectedAnd503WhileItIsAway() throws Exception {
        HttpResponse<String> up = client.get("/healthz");
        assertThat(up.statusCode()).isEqualTo(200);
        assertThat(up.body()).isEqualTo("{\"core\":\"connected\"}");

        core.setConnected(false);
        HttpResponse<String> down = client.get("/healthz");
        assertThat(down.statusCode()).isEqualTo(503);
        assertThat(down.body()).isEqualTo("{\"core\":\"unavailable\"}");
    }

    @Test
    void errorBodiesNeverCarryFrameworkDetail() throws Exception {
        HttpResponse<String> wrongMethod = client.send("TRACE", "/api/x", new byte[0]);

        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(wrongMethod.body()).isEqualTo("{\"error\":\"method not allowed\"}");
    }

    @Test
    void onlyTls12AndNewerAreAcceptedAndTls13IsPreferred() throws Exception {
        try (SSLSocket modern = (SSLSocket) PublicClient.pinning(CERTIFICATE).getSocketFactory().createSocket("127.0.0.1", server.port())) {
            modern.startHandshake();
            assertThat(modern.getSession().getProtocol()).isEqualTo("TLSv1.3");
        }
        try (SSLSocket twelve = (SSLSocket) PublicClient.pinning(CERTIFICATE).getSocketFactory().createSocket("127.0.0.1", server.port())) {
            twelve.setEnabledProtocols(new String[] {"TLSv1.2"});
            twelve.setEnabledCipherSuites(new String[] {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"});
            twelve.startHandshake();
            assertThat(twelve.getSession().getCipherSuite()).isEqualTo("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384");
        }
        try (SSLSocket cbcOnly = (SSLSocket) PublicClient.pinning(CERTIFICATE).getSocketFactory().createSocket("127.0.0.1", server.port())) {
            cbcOnly.setEnabledProtocols(new String[] {"TLSv1.2"});
            cbcOnly.setEnabledCipherSuites(new String[] {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"});
            org.assertj.core.api.Assertions.assertThatThrownBy(cbcOnly::startHandshake).isInstanceOf(SSLHandshakeException.class);
        }
        javax.net.ssl.SSLContext legacy = javax.net.ssl.SSLContext.getInstance("TLSv1.1");
        legacy.init(null, null, null);
        try (SSLSocket old = (SSLSocket) legacy.getSocketFactory().createSocket("127.0.0.1", server.port())) {
            String[] supported = old.getSupportedProtocols();
            if (Arrays.asList(supported).contains("TLSv1.1")) {
                old.setEnabledProtocols(new String[] {"TLSv1.1"});
                org.assertj.core.api.Assertions.assertThatThrownBy(old::startHandshake).isInstanceOf(java.io.IOException.class);
            }
        }
    }

    @Test
    void closingTheServerStopsListening() throws Exception {
        int port = server.port();

        server.close();

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new java.net.Socket("127.0.0.1", port).close())
                .isInstanceOf(java.net.ConnectException.class);
    }

    static void assertSecurityHeaders(HttpResponse<?> response) {
        assertThat(response.headers().firstValue("content-security-policy")).as("CSP on %s", response.statusCode())
                .hasValue("default-src 'none'; frame-ancestors 'none'");
        assertThat(response.headers().firstValue("strict-transport-security")).as("HSTS on %s", response.statusCode())
                .hasValueSatisfying(value -> assertThat(value).startsWith("max-age="));
        assertThat(response.headers().firstValue("x-content-type-options")).hasValue("nosniff");
        assertThat(response.headers().firstValue("referrer-policy")).hasValue("no-referrer");
        assertThat(response.headers().firstValue("x-frame-options")).hasValue("DENY");
        assertThat(response.headers().firstValue("cache-control")).hasValue("no-store");
    }

    private static Header header(String name, String value) {
        return Header.newBuilder().setName(name).setValue(value).build();
    }

    private static Map<String, String> headers(ProxyRequest request) {
        return request.getHeadersList().stream().collect(Collectors.toMap(Header::getName, Header::getValue, (a, b) -> a + "," + b));
    }
}
