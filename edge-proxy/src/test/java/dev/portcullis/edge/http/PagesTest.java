package dev.portcullis.edge.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.edge.forward.Forwarder;
import dev.portcullis.edge.pages.StaticPages;
import dev.portcullis.edge.ratelimit.RateLimiter;
import dev.portcullis.edge.ratelimit.RateLimits;
import dev.portcullis.edge.tls.PublicCertificate;
import dev.portcullis.protocol.v1.Header;
import dev.portcullis.protocol.v1.ProxyResponse;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The enrollment and MFA pages as a browser gets them: real HTTPS on loopback, a fake core that must never see them. */
class PagesTest {

    private static final PublicCertificate CERTIFICATE = PublicCertificate.ephemeral(Set.of(), Clock.systemUTC());
    private static final String PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
    private static final String API_CSP = "default-src 'none'; frame-ancestors 'none'";
    /** The shape of a real invite token: 43 base64url characters. */
    private static final String TOKEN = "q3Yx0Zr8S1mN4bT7vW2cE5hJ9kL6pA0dF3gH8iK1oUs";
    private static final String OTHER_TOKEN = "Zz9_-Aa0Bb1Cc2Dd3Ee4Ff5Gg6Hh7Ii8Jj9Kk0Ll1Mm";

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private FakeCore core;
    private RateLimiter apiLimiter;
    private RateLimiter pagesLimiter;
    private PublicHttpServer server;
    private HttpClient http;
    private String base;

    @BeforeEach
    void start() {
        core = new FakeCore();
        Forwarder forwarder = new Forwarder(core, Duration.ofMillis(300), Forwarder.MAX_IN_FLIGHT);
        core.attach(forwarder);
        apiLimiter = new RateLimiter(1000, nanos::get, RateLimiter.MAX_TRACKED_CLIENTS);
        pagesLimiter = new RateLimiter(1000, nanos::get, RateLimiter.MAX_TRACKED_CLIENTS);
        server = PublicHttpServer.start(new InetSocketAddress("127.0.0.1", 0), CERTIFICATE, forwarder,
                new RateLimits(apiLimiter, pagesLimiter));
        http = HttpClient.newBuilder().sslContext(PublicClient.pinning(CERTIFICATE)).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        base = "https://127.0.0.1:" + server.port();
    }

    @AfterEach
    void stop() {
        server.close();
        core.close();
    }

    @Test
    void everyInviteLinkGetsTheSameEnrollPageBytesWhateverTheToken() throws Exception {
        byte[] shipped = classpath("public/enroll.html");

        for (String path : List.of("/enroll/" + TOKEN, "/enroll/x", "/enroll/", "/enroll/" + TOKEN + "?utm=1",
                "/enroll/a/b/c", "/enroll/" + "A".repeat(2000))) {
            HttpResponse<byte[]> page = get(path);
            assertThat(page.statusCode()).as(path).isEqualTo(200);
            assertThat(page.body()).as(path).isEqualTo(shipped);
            assertThat(page.headers().firstValue("content-type")).as(path).hasValue("text/html; charset=utf-8");
            assertThat(page.headers().firstValue("cache-control")).as(path).hasValue("no-store");
        }
        assertThat(core.received()).as("pages never reach core").isEmpty();
    }

    @Test
    void resetAndForgotPagesAreServedTheSameWay() throws Exception {
        byte[] reset = classpath("public/reset.html");
        for (String path : List.of("/reset/" + TOKEN, "/reset/other", "/reset/")) {
            HttpResponse<byte[]> page = get(path);
            assertThat(page.statusCode()).as(path).isEqualTo(200);
            assertThat(page.body()).as(path).isEqualTo(reset);
        }
        HttpResponse<byte[]> forgot = get("/forgot");
        assertThat(forgot.statusCode()).isEqualTo(200);
        assertThat(forgot.body()).isEqualTo(classpath("public/forgot.html"));
        assertThat(core.received()).isEmpty();
    }

    @Test
    void everyWellFormedMfaLinkGetsTheSameMfaPageBytesWhateverTheToken() throws Exception {
        byte[] shipped = classpath("public/mfa.html");

        for (String path : List.of("/mfa/" + TOKEN, "/mfa/" + OTHER_TOKEN, "/mfa/" + TOKEN + "?utm=1", "/mfa/" + "-".repeat(43),
                "/mfa/" + "_".repeat(43))) {
            HttpResponse<byte[]> page = get(path);
            assertThat(page.statusCode()).as(path).isEqualTo(200);
            assertThat(page.body()).as(path).isEqualTo(shipped);
            assertThat(page.headers().firstValue("content-type")).as(path).hasValue("text/html; charset=utf-8");
            assertThat(page.headers().firstValue("cache-control")).as(path).hasValue("no-store");
            assertThat(page.headers().allValues("content-security-policy")).as(path).containsExactly(PAGE_CSP);
            assertCommonSecurityHeaders(page);
        }
        HttpResponse<byte[]> first = get("/mfa/" + TOKEN);
        HttpResponse<byte[]> second = get("/mfa/" + OTHER_TOKEN);
        assertThat(first.body()).isEqualTo(second.body());
        assertThat(first.headers().firstValue("etag")).isPresent().isEqualTo(second.headers().firstValue("etag"));
        assertThat(core.received()).as("the page never reaches core").isEmpty();
    }

    @Test
    void anythingElseUnderMfaIsTheSameNeutral404AsAnUnknownPage() throws Exception {
        HttpResponse<byte[]> unknown = get("/nowhere");
        assertThat(unknown.statusCode()).isEqualTo(404);
        String shortToken = TOKEN.substring(1);

        for (String path : List.of("/mfa", "/mfa/", "/mfa/" + shortToken, "/mfa/" + TOKEN + "A", "/mfa/" + TOKEN + "/",
                "/mfa/" + TOKEN + "/x", "/mfa/x/" + TOKEN, "/mfa/" + shortToken + "+", "/mfa/" + shortToken + "=",
                "/mfa/" + shortToken + "~", "/mfa/" + shortToken + ".", "/mfa/" + TOKEN.substring(2) + "==",
                "/mfa/%41" + shortToken, "/mfa/" + shortToken + "%20", "/mfa/" + TOKEN + ";x", "/MFA/" + TOKEN,
                "/mfa/" + "A".repeat(2000))) {
            HttpResponse<byte[]> response = get(path);
            assertThat(response.statusCode()).as(path).isEqualTo(404);
            assertThat(response.body()).as(path).isEqualTo(unknown.body());
            for (String header : List.of("content-type", "content-security-policy", "cache-control", "x-content-type-options")) {
                assertThat(response.headers().allValues(header)).as("%s of %s", header, path)
                        .isEqualTo(unknown.headers().allValues(header));
            }
            assertThat(response.headers().firstValue("etag")).as(path).isEmpty();
        }
        assertThat(new String(unknown.body(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("{\"error\":\"not found\"}");
        assertThat(core.received()).isEmpty();
    }

    @Test
    void pagesCarryThePageCspAndEverythingElseTheApiCsp() throws Exception {
        core.answerWith(request -> ProxyResponse.newBuilder().setStatus(200)
                .addHeaders(Header.newBuilder().setName("content-type").setValue("application/json"))
                .setBody(com.google.protobuf.ByteString.copyFromUtf8("{}")).build());

        for (String page : List.of("/enroll/" + TOKEN, "/reset/" + TOKEN, "/forgot", "/mfa/" + TOKEN)) {
            HttpResponse<byte[]> response = get(page);
            assertThat(response.headers().allValues("content-security-policy")).as(page).containsExactly(PAGE_CSP);
            assertCommonSecurityHeaders(response);
        }
        for (String other : List.of("/api/v1/enroll/session", "/api/v1/tunnel/webauthn/options", "/assets/enroll.js", "/assets/mfa.js",
                "/assets/nope.js", "/nowhere", "/mfa/" + TOKEN + "x", "/healthz")) {
            HttpResponse<byte[]> response = get(other);
            assertThat(response.headers().allValues("content-security-policy")).as(other).containsExactly(API_CSP);
            assertCommonSecurityHeaders(response);
        }
        assertThat(SecurityHeadersFilter.PAGE_CONTENT_SECURITY_POLICY).isEqualTo(PAGE_CSP);
    }

    @Test
    void everyAssetIsServedWithItsContentTypeAndMayBeCached() throws Exception {
        for (String name : StaticPages.ASSET_NAMES) {
            HttpResponse<byte[]> asset = get("/assets/" + name);
            assertThat(asset.statusCode()).as(name).isEqualTo(200);
            assertThat(asset.body()).as(name).isEqualTo(classpath("public/assets/" + name));
            assertThat(asset.headers().firstValue("content-type")).as(name)
                    .hasValue(name.endsWith(".css") ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8");
            assertThat(asset.headers().firstValue("cache-control")).as(name).hasValue("public, max-age=300");
            assertThat(asset.headers().firstValue("x-content-type-options")).hasValue("nosniff");
            String etag = asset.headers().firstValue("etag").orElseThrow();

            HttpResponse<byte[]> again = get("/assets/" + name, "If-None-Match", etag);
            assertThat(again.statusCode()).as(name).isEqualTo(304);
            assertThat(again.body()).isEmpty();
        }
    }

    @Test
    void anAssetThatDoesNotExistIsANeutral404AndNothingOutsideTheListIsReachable() throws Exception {
        for (String path : List.of("/assets/nope.js", "/assets/", "/assets/enroll.html", "/assets/qrcode.js.map",
                "/assets/ENROLL.JS", "/assets/a/enroll.js", "/assets/logback.xml", "/assets/META-INF%2FMANIFEST.MF")) {
            HttpResponse<byte[]> response = get(path);
            assertThat(response.statusCode()).as(path).isIn(400, 404);
            assertThat(new String(response.body(), java.nio.charset.StandardCharsets.UTF_8)).as(path)
                    .isIn("{\"error\":\"not found\"}", "{\"error\":\"bad request\"}");
            assertThat(response.headers().firstValue("cache-control")).as(path).hasValue("no-store");
        }
        assertThat(get("/assets/nope.js").statusCode()).isEqualTo(404);
        for (String path : List.of("/assets/../enroll.html", "/assets/%2e%2e/enroll.html", "/enroll/..%2f..%2fetc", "/reset/%00")) {
            assertThat(get(path).statusCode()).as(path).isEqualTo(400);
        }
        assertThat(core.received()).isEmpty();
    }

    @Test
    void pagesAndAssetsAreRateLimitedPerAddressInTheirOwnBucket() throws Exception {
        core.answerWith(request -> ProxyResponse.newBuilder().setStatus(204).build());
        pagesLimiter.setRequestsPerMinute(3);

        assertThat(get("/enroll/" + TOKEN).statusCode()).isEqualTo(200);
        assertThat(get("/assets/portcullis.css").statusCode()).isEqualTo(200);
        assertThat(get("/nowhere").statusCode()).as("unknown paths count too").isEqualTo(404);
        HttpResponse<byte[]> limited = get("/enroll/" + TOKEN);
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.headers().firstValue("retry-after")).hasValue("20");
        assertThat(new String(limited.body(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("{\"error\":\"too many requests\"}");
        assertThat(limited.headers().firstValue("content-security-policy")).hasValue(API_CSP);
        assertThat(get("/assets/enroll.js").statusCode()).isEqualTo(429);
        assertThat(get("/api/v1/enroll/session").statusCode()).as("the API bucket is separate").isEqualTo(204);

        nanos.addAndGet(TimeUnit.SECONDS.toNanos(20));
        assertThat(get("/forgot").statusCode()).isEqualTo(200);
    }

    @Test
    void theApiBucketLimitsApiCallsWithoutTouchingThePages() throws Exception {
        core.answerWith(request -> ProxyResponse.newBuilder().setStatus(204).build());
        apiLimiter.setRequestsPerMinute(2);

        assertThat(post("/api/v1/enroll/redeem").statusCode()).isEqualTo(204);
        assertThat(post("/api/v1/enroll/redeem").statusCode()).isEqualTo(204);
        assertThat(post("/api/v1/enroll/redeem").statusCode()).isEqualTo(429);
        assertThat(get("/enroll/" + TOKEN).statusCode()).isEqualTo(200);
        assertThat(core.received()).hasSize(2);
    }

    @Test
    void thePagesBucketDefaultsToItsNamedConstant() {
        assertThat(RateLimits.withApi(new RateLimiter(120)).pages().requestsPerMinute()).isEqualTo(RateLimits.PAGES_REQUESTS_PER_MINUTE);
    }

    private static void assertCommonSecurityHeaders(HttpResponse<?> response) {
        assertThat(response.headers().firstValue("strict-transport-security")).hasValueSatisfying(v -> assertThat(v).startsWith("max-age="));
        assertThat(response.headers().firstValue("x-content-type-options")).hasValue("nosniff");
        assertThat(response.headers().firstValue("referrer-policy")).hasValue("no-referrer");
        assertThat(response.headers().firstValue("x-frame-options")).hasValue("DENY");
        assertThat(response.headers().firstValue("cross-origin-opener-policy")).hasValue("same-origin");
    }

    private HttpResponse<byte[]> get(String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).GET();
        if (headers.length > 0) {
            request.headers(headers);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private HttpResponse<byte[]> post(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static byte[] classpath(String name) throws Exception {
        try (InputStream in = PagesTest.class.getClassLoader().getResourceAsStream(name)) {
            assertThat(in).as(name).isNotNull();
            return in.readAllBytes();
        }
    }
}
