package dev.portcullis.edge.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import com.google.protobuf.ByteString;
import dev.portcullis.edge.forward.Forwarder;
import dev.portcullis.edge.ratelimit.RateLimiter;
import dev.portcullis.edge.ratelimit.RateLimits;
import dev.portcullis.edge.tls.PublicCertificate;
import dev.portcullis.protocol.v1.Header;
import dev.portcullis.protocol.v1.ProxyResponse;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * With every logger of the proxy at DEBUG (the access log included) over the levels the proxy
 * ships, an enrollment's and a tunnel session's secrets (invite, reset and MFA hand-off tokens in
 * paths, the session cookie, the CSRF value, a password, the device signature) appear in no log line.
 */
class AccessLogTest {

    private static final PublicCertificate CERTIFICATE = PublicCertificate.ephemeral(Set.of(), Clock.systemUTC());
    private static final String INVITE_TOKEN = "InviteTokenAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    private static final String RESET_TOKEN = "ResetTokenBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
    private static final String COOKIE = "SessionCookieCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC";
    private static final String CSRF = "CsrfValueDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD";
    private static final String PASSWORD = "correct horse battery staple";
    /** A tunnel-MFA hand-off token: 43 base64url characters, the shape the page is served for. */
    private static final String MFA_TOKEN = "MfaHandOffEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE-_0";
    private static final String DEVICE_SIGNATURE = "DeviceSignatureFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF";
    private static final List<String> SECRETS = List.of(INVITE_TOKEN, RESET_TOKEN, COOKIE, CSRF, PASSWORD, MFA_TOKEN, DEVICE_SIGNATURE,
            "InviteToken", "ResetToken", "SessionCookie", "CsrfValue", "battery", "MfaHandOff", "DeviceSignature");

    /** A {@code <logger name=".." level=".."/>} line of the shipped logback.xml. */
    private static final Pattern SHIPPED_LOGGER = Pattern.compile("<logger\\s+name=\"([^\"]+)\"\\s+level=\"([A-Za-z]+)\"\\s*/>");

    private final ListAppender<ILoggingEvent> captured = new ListAppender<>();
    private final Map<Logger, Level> previousLevels = new LinkedHashMap<>();
    private Logger root;
    private Level rootLevel;
    private FakeCore core;
    private PublicHttpServer server;
    private PublicClient client;

    @BeforeEach
    void start() throws Exception {
        root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        rootLevel = root.getLevel();
        applyShippedLoggerLevels();
        root.setLevel(Level.DEBUG);
        captured.start();
        root.addAppender(captured);
        core = new FakeCore();
        Forwarder forwarder = new Forwarder(core, Duration.ofSeconds(5), Forwarder.MAX_IN_FLIGHT);
        core.attach(forwarder);
        core.answerWith(request -> ProxyResponse.newBuilder().setStatus(200)
                .addHeaders(Header.newBuilder().setName("content-type").setValue("application/json"))
                .addHeaders(Header.newBuilder().setName("set-cookie")
                        .setValue("__Host-portcullis-enroll=" + COOKIE + "; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=1800"))
                .setBody(ByteString.copyFromUtf8("{\"csrf\":\"" + CSRF + "\"}")).build());
        server = PublicHttpServer.start(new InetSocketAddress("127.0.0.1", 0), CERTIFICATE, forwarder,
                new RateLimits(new RateLimiter(1000), new RateLimiter(1000)));
        client = new PublicClient(CERTIFICATE, server.port());
    }

    @AfterEach
    void stop() {
        server.close();
        core.close();
        root.detachAppender(captured);
        root.setLevel(rootLevel);
        previousLevels.forEach(Logger::setLevel);
    }

    /**
     * The levels of the proxy's own logback.xml (third-party libraries at WARN), set here because
     * the class path of a test run may carry another module's logback-test.xml instead: a reactor
     * {@code test} run resolves protocol's test-jar to its test-classes directory, logging config
     * included. What is checked is what an operator gets by turning the proxy's loggers to DEBUG.
     */
    private void applyShippedLoggerLevels() throws java.io.IOException {
        String shipped = Files.readString(Path.of("src", "main", "resources", "logback.xml"), StandardCharsets.UTF_8);
        Matcher logger = SHIPPED_LOGGER.matcher(shipped);
        while (logger.find()) {
            Logger configured = (Logger) LoggerFactory.getLogger(logger.group(1));
            previousLevels.put(configured, configured.getLevel());
            configured.setLevel(Level.toLevel(logger.group(2)));
        }
        assertThat(previousLevels).as("logger levels in the shipped logback.xml").isNotEmpty();
    }

    @Test
    void theAccessLogRedactsLinkTokensAndNoLogLineCarriesASecret() throws Exception {
        assertThat(client.get("/enroll/" + INVITE_TOKEN).statusCode()).isEqualTo(200);
        assertThat(client.get("/enroll/" + INVITE_TOKEN + "?again=" + INVITE_TOKEN).statusCode()).isEqualTo(200);
        assertThat(client.get("/reset/" + RESET_TOKEN).statusCode()).isEqualTo(200);
        client.get("/ENROLL/" + INVITE_TOKEN);
        client.get("/enroll/%2e%2e/" + INVITE_TOKEN);
        assertThat(client.send("POST", "/api/v1/enroll/redeem", ("{\"token\":\"" + INVITE_TOKEN + "\"}").getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/json", "Origin", "https://127.0.0.1").statusCode()).isEqualTo(200);
        assertThat(client.send("POST", "/api/v1/enroll/password", ("{\"password\":\"" + PASSWORD + "\"}").getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/json", "Cookie", "__Host-portcullis-enroll=" + COOKIE, "X-Portcullis-CSRF", CSRF)
                .statusCode()).isEqualTo(200);

        List<String> access = accessLines();
        assertThat(access).contains("127.0.0.1 GET /enroll/<redacted> 200", "127.0.0.1 GET /reset/<redacted> 200",
                "127.0.0.1 GET /enroll/<redacted> 404", "127.0.0.1 GET /enroll/<redacted> 400",
                "127.0.0.1 POST /api/v1/enroll/redeem 200", "127.0.0.1 POST /api/v1/enroll/password 200");
        assertThat(access.stream().filter(line -> line.contains("GET /enroll/<redacted> 200"))).hasSize(2);
        assertNoLineCarriesASecret();
    }

    @Test
    void theAccessLogRedactsMfaHandOffTokensAndNoLogLineCarriesTheTokenOrADeviceSignature() throws Exception {
        assertThat(MFA_TOKEN).hasSize(43);
        assertThat(client.get("/mfa/" + MFA_TOKEN).statusCode()).isEqualTo(200);
        assertThat(client.get("/mfa/" + MFA_TOKEN + "?again=" + MFA_TOKEN).statusCode()).isEqualTo(200);
        assertThat(client.get("/mfa/" + MFA_TOKEN + "x").statusCode()).isEqualTo(404);
        assertThat(client.get("/mfa/" + MFA_TOKEN + "/" + MFA_TOKEN).statusCode()).isEqualTo(404);
        client.get("/MFA/" + MFA_TOKEN);
        assertThat(client.send("POST", "/api/v1/tunnel/webauthn/options", ("{\"token\":\"" + MFA_TOKEN + "\"}").getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/json", "Origin", "https://127.0.0.1").statusCode()).isEqualTo(200);
        assertThat(client.get("/api/v1/tunnel/locations", "X-Portcullis-Device-Auth",
                "v1 device=6f1c2b9e-3a4d-4e5f-8a7b-9c0d1e2f3a4b, time=1767225600000, signature=" + DEVICE_SIGNATURE).statusCode())
                .isEqualTo(200);

        List<String> access = accessLines();
        assertThat(access.stream().filter(line -> line.equals("127.0.0.1 GET /mfa/<redacted> 200"))).hasSize(2);
        assertThat(access.stream().filter(line -> line.equals("127.0.0.1 GET /mfa/<redacted> 404"))).hasSize(3);
        assertThat(access).contains("127.0.0.1 POST /api/v1/tunnel/webauthn/options 200", "127.0.0.1 GET /api/v1/tunnel/locations 200");
        assertNoLineCarriesASecret();
    }

    private List<String> accessLines() {
        synchronized (captured) {
            return captured.list.stream().filter(event -> AccessLogFilter.LOGGER.equals(event.getLoggerName()))
                    .map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    private void assertNoLineCarriesASecret() {
        List<ILoggingEvent> events;
        synchronized (captured) { // the appender's own lock: server threads may still be logging
            events = List.copyOf(captured.list);
        }
        assertThat(events).isNotEmpty();
        for (ILoggingEvent event : events) {
            String line = event.getFormattedMessage() + (event.getThrowableProxy() == null ? ""
                    : ThrowableProxyUtil.asString(event.getThrowableProxy()));
            for (String secret : SECRETS) {
                assertThat(line).as("log line from %s", event.getLoggerName()).doesNotContain(secret);
            }
        }
    }
}
