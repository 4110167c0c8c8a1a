package dev.portcullis.core.admin;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.portcullis.pki.join.JoinToken;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class AdminApiTest {

    private static CoreUnderTest core;
    private static String token;
    private final ListAppender<ILoggingEvent> audit = new ListAppender<>();
    private final Logger auditLogger = (Logger) LoggerFactory.getLogger("dev.portcullis.core.admin.audit");

    @BeforeAll
    static void startCore() throws Exception {
        core = CoreUnderTest.start();
        token = core.bootstrapToken();
    }

    @AfterAll
    static void stopCore() {
        core.close();
    }

    @BeforeEach
    void captureAudit() {
        audit.start();
        auditLogger.addAppender(audit);
        core.links().statusFailure = null;
    }

    @AfterEach
    void releaseAudit() {
        auditLogger.detachAppender(audit);
    }

    @Test
    void healthCheckNeedsNoToken() throws Exception {
        HttpResponse<String> response = core.call("GET", "/healthz", null, null);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("{\"status\":\"ok\"}");
    }

    @Test
    void requestWithoutTokenIsRejected() throws Exception {
        HttpResponse<String> response = core.call("GET", "/api/v1/status", null, null);

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
        assertThat(response.body()).startsWith("{\"error\":\"admin token required");
        assertThat(core.call("POST", "/api/v1/components", null, "{}").statusCode()).isEqualTo(401);
    }

    @Test
    void requestWithBadTokenIsRejected() throws Exception {
        String wrongSecret = token.substring(0, token.length() - 2) + (token.endsWith("AA") ? "BB" : "AA");

        for (String bad : List.of(wrongSecret, "pca1.0123456789abcdef." + "A".repeat(43), "garbage", "x".repeat(5000))) {
            HttpResponse<String> response = core.call("GET", "/api/v1/status", bad, null);
            assertThat(response.statusCode()).as(bad).isEqualTo(401);
            assertThat(response.body()).isEqualTo("{\"error\":\"admin token rejected\"}");
        }
    }

    @Test
    void unknownPathsAreHiddenBehindAuthentication() throws Exception {
        assertThat(core.call("GET", "/api/v1/secret-things", null, null).statusCode()).isEqualTo(401);
        HttpResponse<String> authenticated = core.call("GET", "/api/v1/secret-things", token, null);
        assertThat(authenticated.statusCode()).isEqualTo(404);
        assertThat(authenticated.body()).isEqualTo("{\"error\":\"not found\"}");
    }

    @Test
    void requestWithGoodTokenIsServedAndAttributedToItsCaller() throws Exception {
        HttpResponse<String> response = core.call("GET", "/api/v1/status", token, null);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"caFingerprint\":\"sha256:").contains("\"version\":\"");
        assertThat(audit.list).extracting(ILoggingEvent::getFormattedMessage)
                .contains("admin 'bootstrap' GET /api/v1/status -> 200");
    }

    @Test
    void registeringAComponentReturnsItsJoinTokenOnceAndStartsItsLink() throws Exception {
        HttpResponse<String> created = core.call("POST", "/api/v1/components", token,
                "{\"name\":\"edge-api-1\",\"role\":\"edge-proxy\",\"address\":\"127.0.0.1:7443\"}");

        assertThat(created.statusCode()).isEqualTo(201);
        String joinToken = created.body().replaceAll(".*\"joinToken\":\"([^\"]+)\".*", "$1");
        JoinToken parsed = JoinToken.parse(joinToken);
        assertThat(created.body()).contains("\"id\":\"" + parsed.componentId() + "\"");
        assertThat(core.links().calls).contains("registered " + parsed.componentId());
        assertThat(audit.list).extracting(ILoggingEvent::getFormattedMessage)
                .contains("admin 'bootstrap' POST /api/v1/components -> 201")
                .noneMatch(line -> line.contains(joinToken));

        HttpResponse<String> list = core.call("GET", "/api/v1/components", token, null);
        assertThat(list.body()).contains("\"name\":\"edge-api-1\"").contains("\"state\":\"PENDING\"")
                .contains("\"phase\":\"JOINING\"").doesNotContain("pcj1.");
    }

    @Test
    void removingSettingAndRotatingReachTheLinks() throws Exception {
        HttpResponse<String> created = core.call("POST", "/api/v1/components", token,
                "{\"name\":\"edge-api-2\",\"role\":\"edge-proxy\",\"address\":\"127.0.0.1:7444\"}");
        String id = created.body().replaceAll(".*\"id\":\"([^\"]+)\".*", "$1");

        HttpResponse<String> settings = core.call("PUT", "/api/v1/components/edge-api-2/settings", token,
                "{\"publicOrigin\":\"https://access.example.com\",\"requestsPerMinutePerAddress\":60}");
        assertThat(settings.statusCode()).isEqualTo(200);
        assertThat(settings.body()).contains("\"configVersion\":2").contains("\"publicOrigin\":\"https://access.example.com\"");
        assertThat(core.links().calls).contains("configured " + id);
        assertThat(core.links().updates).anySatisfy(u -> {
            assertThat(u.getBaseVersion()).isEqualTo(1);
            assertThat(u.getVersion()).isEqualTo(2);
            assertThat(u.getEdgeProxy().getRequestsPerMinutePerAddress()).isEqualTo(60);
        });

        HttpResponse<String> rotate = core.call("POST", "/api/v1/components/edge-api-2/rotate", token, null);
        assertThat(rotate.statusCode()).isEqualTo(409);
        assertThat(rotate.body()).isEqualTo("{\"error\":\"component 'edge-api-2' has not joined yet; there is no certificate to rotate\"}");

        HttpResponse<String> reissued = core.call("POST", "/api/v1/components/edge-api-2/token", token, null);
        assertThat(reissued.statusCode()).isEqualTo(201);
        assertThat(reissued.body()).contains("\"joinToken\":\"pcj1.");

        HttpResponse<String> removed = core.call("DELETE", "/api/v1/components/edge-api-2", token, null);
        assertThat(removed.statusCode()).isEqualTo(200);
        assertThat(core.links().calls).contains("removed " + id);
        assertThat(core.call("DELETE", "/api/v1/components/edge-api-2", token, null).statusCode()).isEqualTo(404);
    }

    @Test
    void newAdminTokenIsShownOnceAndWorks() throws Exception {
        HttpResponse<String> created = core.call("POST", "/api/v1/admin-tokens", token, "{\"name\":\"alice\"}");

        assertThat(created.statusCode()).isEqualTo(201);
        String alice = created.body().replaceAll(".*\"token\":\"([^\"]+)\".*", "$1");
        assertThat(core.call("GET", "/api/v1/status", alice, null).statusCode()).isEqualTo(200);
        assertThat(audit.list).extracting(ILoggingEvent::getFormattedMessage)
                .contains("admin 'alice' GET /api/v1/status -> 200");
        assertThat(core.call("POST", "/api/v1/admin-tokens", token, "{\"name\":\"alice\"}").statusCode()).isEqualTo(409);
    }

    @Test
    void errorsAreJsonWithoutStackTracesOrSql() throws Exception {
        List<HttpResponse<String>> errors = List.of(
                core.call("POST", "/api/v1/components", token, "{not json"),
                core.call("POST", "/api/v1/components", token, "{\"name\":\"x\"}"),
                core.call("POST", "/api/v1/components", token, "{\"name\":\"x1\",\"role\":\"router\",\"address\":\"h:1\"}"),
                core.call("POST", "/api/v1/components", token, "{\"name\":\"x'; DROP TABLE components;--\",\"role\":\"gateway\",\"address\":\"h:1\"}"),
                core.call("POST", "/api/v1/components", token, "{\"name\":\"big\",\"notice\":\"" + "x".repeat(70_000) + "\"}"),
                core.call("PUT", "/api/v1/components/none/settings", token, "{\"notice\":\"hi\"}"),
                core.call("PATCH", "/api/v1/status", token, null),
                core.call("GET", "/api/v1/components/%00", token, null));

        assertThat(errors).extracting(HttpResponse::statusCode).containsExactly(400, 400, 400, 400, 413, 404, 405, 404);
        for (HttpResponse<String> error : errors) {
            assertThat(error.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
            assertThat(error.body()).matches("\\{\"error\":\"[^\"]+\"\\}")
                    .doesNotContainIgnoringCase("exception").doesNotContain("\tat ").doesNotContainIgnoringCase("sql")
                    .doesNotContain("io.micronaut");
        }
    }

    @Test
    void unexpectedFailureIsA500WithAReferenceAndNoDetail() throws Exception {
        core.links().statusFailure = new IllegalStateException("SELECT secret FROM somewhere failed");

        HttpResponse<String> response = core.call("GET", "/api/v1/components", token, null);

        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(response.body()).matches("\\{\"error\":\"internal error \\(ref [0-9a-f]{8}\\)\"\\}");
    }
}
