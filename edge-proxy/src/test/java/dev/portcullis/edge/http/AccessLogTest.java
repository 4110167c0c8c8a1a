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
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * With every logger of the proxy at DEBUG (the access log included), an enrollment's secrets
 * (invite and reset tokens in paths, the session cookie, the CSRF value, a password) appear in
 * no log line.
 */
class AccessLogTest {

    private static final PublicCertificate CERTIFICATE = PublicCertificate.ephemeral(Set.of(), Clock.systemUTC());
    private static final String INVITE_TOKEN = "InviteTokenAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    private static final String RESET_TOKEN = "ResetTokenBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
    private static final String COOKIE = "SessionCookieCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC";
    private static final String CSRF = "CsrfValueDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD";
    private static final String PASSWORD = "correct horse battery staple";
    private static final List<String> SECRETS = List.of(INVITE_TOKEN, RESET_TOKEN, COOKIE, CSRF, PASSWORD, "InviteToken", "ResetToken",
            "SessionCookie", "CsrfValue", "battery");

    private final ListAppender<ILoggingEvent> captured = new ListAppender<>();
    private Logger root;
    private Level rootLevel;
    private FakeCore core;
    private PublicHttpServer server;
    private PublicClient client;

    @BeforeEach
    void start() {
        root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        rootLevel = root.getLevel();
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

        List<String> access = captured.list.stream().filter(event -> AccessLogFilter.LOGGER.equals(event.getLoggerName()))
                .map(ILoggingEvent::getFormattedMessage).toList();
        assertThat(access).contains("127.0.0.1 GET /enroll/<redacted> 200", "127.0.0.1 GET /reset/<redacted> 200",
                "127.0.0.1 GET /enroll/<redacted> 404", "127.0.0.1 GET /enroll/<redacted> 400",
                "127.0.0.1 POST /api/v1/enroll/redeem 200", "127.0.0.1 POST /api/v1/enroll/password 200");
        assertThat(access.stream().filter(line -> line.contains("GET /enroll/<redacted> 200"))).hasSize(2);
        for (ILoggingEvent event : captured.list) {
            String line = event.getFormattedMessage() + (event.getThrowableProxy() == null ? ""
                    : ThrowableProxyUtil.asString(event.getThrowableProxy()));
            for (String secret : SECRETS) {
                assertThat(line).as("log line from %s", event.getLoggerName()).doesNotContain(secret);
            }
        }
    }
}
