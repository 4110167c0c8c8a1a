package dev.portcullis.compliance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The enrollment API's edge hygiene, end to end through the real edge-proxy of a quickstart
 * deployment over real HTTPS: single use under concurrent redemption, one neutral answer for every
 * kind of dead link, per-address rate limits on the API and on the pages, size and syntax limits
 * without stack traces, CSRF, and a proxy restart in the middle of an enrollment (the proxy is
 * stateless; its state directory holds only its own keys).
 *
 * <p>Every scenario sends from its own loopback source address (127.0.0.x), because the proxy
 * rate-limits per client address and one scenario must not spend another's allowance. The
 * deployment is shared with {@link EnrollmentBrowserTest} ({@link SharedEnrollmentDeployment}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(SharedEnrollmentDeployment.class)
class EnrollmentEdgeHygieneTest {

    private static final String REDEEM = "/api/v1/enroll/redeem";
    private static final String GROUP = "edge-hygiene";
    /** As many redemptions of one token at once as the issue asks for. */
    private static final int CONCURRENT_REDEMPTIONS = 50;
    /** Bounds the rate-limit probes: well above both buckets (API 120/min by default, pages 600/min). */
    private static final int MAX_PROBES = 2_000;

    private EnrollmentDeployment deployment;
    private EnrollmentDeployment.Invite raced;
    private EnrollmentDeployment.Invite used;
    private EnrollmentDeployment.Invite superseded;
    private EnrollmentDeployment.Invite expiring;

    @BeforeAll
    void deploy(EnrollmentDeployment shared) throws Exception {
        deployment = shared;
        // Setup through the admin API (EnrollmentBrowserTest drives the same through the admin CLI). The
        // location is restricted to this class's group, so users of other classes sharing the
        // deployment do not get addresses (and configurations) here.
        deployment.addGroupViaApi(GROUP);
        deployment.addLocationViaApi("branch", "10.81.0.0/24", GROUP);
        for (String user : List.of("racer", "reuser", "replaced", "expiring", "restarter")) {
            deployment.addUserViaApi(user, user + "@example.com", "User " + user, GROUP);
        }
        expiring = deployment.inviteViaApi("expiring");
        raced = deployment.inviteViaApi("racer");
        used = deployment.inviteViaApi("reuser");
        superseded = deployment.inviteViaApi("replaced");
        EnrollmentDeployment.Invite newer = deployment.inviteViaApi("replaced");
        assertThat(newer.token()).isNotEqualTo(superseded.token());
    }

    @Test
    @Order(1)
    void fiftyConcurrentRedemptionsOfOneInviteThroughTheProxyYieldExactlyOneSession() throws Exception {
        EdgeClient edge = deployment.edge("127.0.0.11");
        ExecutorService pool = Executors.newFixedThreadPool(CONCURRENT_REDEMPTIONS);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<EdgeClient.Response>> answers = new ArrayList<>();
        try {
            for (int i = 0; i < CONCURRENT_REDEMPTIONS; i++) {
                answers.add(pool.submit(() -> {
                    start.await();
                    return edge.postJson(REDEEM, Map.of("token", raced.token()));
                }));
            }
            start.countDown();
            Map<Integer, Integer> byStatus = new TreeMap<>();
            List<EdgeClient.Response> refused = new ArrayList<>();
            for (Future<EdgeClient.Response> answer : answers) {
                EdgeClient.Response response = answer.get(60, TimeUnit.SECONDS);
                byStatus.merge(response.status(), 1, Integer::sum);
                if (response.status() != 200) {
                    refused.add(response);
                }
            }
            System.out.println(CONCURRENT_REDEMPTIONS + " concurrent redemptions of one invite, by status: " + byStatus);
            assertThat(byStatus.get(200)).as("successful redemptions among " + byStatus).isEqualTo(1);
            assertThat(byStatus.keySet()).as("statuses " + byStatus).isSubsetOf(200, 404, 429);
            for (EdgeClient.Response response : refused) {
                if (response.status() == 404) {
                    assertThat(response.text()).isEqualTo(EnrollmentDeployment.INVALID_INVITE_BODY);
                } else {
                    assertNeutralError(response);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Expired, used, superseded and unknown links (and a string that is no token at all) get the same
     * status and the same bytes, so a link's answer tells nothing about why it is dead. The expired
     * invite: see {@link EnrollmentDeployment#expireInvitesOf}.
     */
    @Test
    @Order(2)
    void expiredReusedSupersededAndUnknownTokensGetByteIdenticalAnswers() throws Exception {
        deployment.expireInvitesOf("expiring");
        EdgeClient edge = deployment.edge("127.0.0.12");
        EdgeClient.Response first = edge.postJson(REDEEM, Map.of("token", used.token()));
        assertThat(first.status()).as("the first use of a fresh invite: " + first).isEqualTo(200);
        Map<String, EdgeClient.Response> answers = new LinkedHashMap<>();
        answers.put("expired", edge.postJson(REDEEM, Map.of("token", expiring.token())));
        answers.put("reused", edge.postJson(REDEEM, Map.of("token", used.token())));
        answers.put("superseded", edge.postJson(REDEEM, Map.of("token", superseded.token())));
        answers.put("unknown", edge.postJson(REDEEM, Map.of("token", randomToken())));
        answers.put("not a token", edge.postJson(REDEEM, Map.of("token", "x")));
        assertAllTheNeutralInvalidLinkAnswer(answers);
    }

    @Test
    @Order(3)
    void thePerAddressRateLimitAnswers429OnTheApi() throws Exception {
        EdgeClient edge = deployment.edge("127.0.0.13");
        EdgeClient.Response limited = firstLimited(edge, "/api/v1/ping");
        assertThat(limited.header("Retry-After")).as("Retry-After").matches("\\d+");
        assertNeutralError(limited);
        // Another address is not affected.
        assertThat(edge.from("127.0.0.14").get("/api/v1/ping").status()).isEqualTo(200);
    }

    @Test
    @Order(4)
    void thePerAddressRateLimitAnswers429OnThePages() throws Exception {
        EdgeClient edge = deployment.edge("127.0.0.15");
        EdgeClient.Response limited = firstLimited(edge, "/enroll/" + randomToken());
        assertThat(limited.header("Retry-After")).as("Retry-After").matches("\\d+");
        assertThat(edge.from("127.0.0.16").get("/enroll/" + randomToken()).status()).isEqualTo(200);
    }

    @Test
    @Order(5)
    void anOversizedBodyGets413AndMalformedJson400WithoutAStackTrace() throws Exception {
        EdgeClient edge = deployment.edge("127.0.0.17");
        byte[] oversized = ("{\"token\":\"" + "A".repeat(70 * 1024) + "\"}").getBytes(StandardCharsets.UTF_8);
        EdgeClient.Response tooLarge = edge.postRaw(REDEEM, oversized);
        assertThat(tooLarge.status()).as(tooLarge.toString()).isEqualTo(413);
        assertNeutralError(tooLarge);

        EdgeClient.Response malformed = edge.postRaw(REDEEM, "{\"token\": \"abc".getBytes(StandardCharsets.UTF_8));
        assertThat(malformed.status()).as(malformed.toString()).isEqualTo(400);
        assertNeutralError(malformed);

        EdgeClient.Response unknownField = edge.postJson(REDEEM, Map.of("token", randomToken(), "admin", true));
        assertThat(unknownField.status()).as(unknownField.toString()).isEqualTo(400);
        assertNeutralError(unknownField);
    }

    @Test
    @Order(6)
    void anEnrollmentContinuesAcrossAProxyRestartWithTheSameCookieAndTheProxyKeepsNoUserData() throws Exception {
        Map<String, String> stateBefore = fingerprints(deployment.edgeState());
        EnrollmentDeployment.Invite invite = deployment.inviteViaApi("restarter");
        EdgeClient edge = deployment.edge("127.0.0.18");
        EdgeClient.Response redeemed = edge.postJson(REDEEM, Map.of("token", invite.token()));
        assertThat(redeemed.status()).as(redeemed.toString()).isEqualTo(200);
        String cookie = redeemed.cookie(EnrollmentDeployment.ENROLL_COOKIE);
        assertThat(cookie).as("the enrollment cookie").isNotNull().hasSize(43);
        String setCookie = redeemed.headers().get("set-cookie").toString();
        assertThat(setCookie).contains("Secure").contains("HttpOnly").contains("SameSite=Strict").contains("Path=/")
                .contains("Max-Age=1800");
        String csrf = redeemed.json().path("csrf").asText();
        String[] session = {"Cookie", EnrollmentDeployment.ENROLL_COOKIE + "=" + cookie, "X-Portcullis-CSRF", csrf};
        String password = "Granite-willow-" + randomToken().substring(0, 10) + "-9";

        // CSRF: a state-changing call without the header, or from another origin, is refused.
        EdgeClient.Response noCsrf = edge.postJson("/api/v1/enroll/password", Map.of("password", password),
                "Cookie", EnrollmentDeployment.ENROLL_COOKIE + "=" + cookie);
        assertThat(noCsrf.status()).as(noCsrf.toString()).isEqualTo(403);
        EdgeClient.Response foreignOrigin = edge.postJson("/api/v1/enroll/password", Map.of("password", password),
                "Cookie", EnrollmentDeployment.ENROLL_COOKIE + "=" + cookie, "X-Portcullis-CSRF", csrf,
                "Origin", "https://evil.example");
        assertThat(foreignOrigin.status()).as(foreignOrigin.toString()).isEqualTo(403);

        EdgeClient.Response passwordSet = edge.postJson("/api/v1/enroll/password", Map.of("password", password),
                session[0], session[1], session[2], session[3], "Origin", deployment.origin);
        assertThat(passwordSet.status()).as(passwordSet.toString()).isEqualTo(204);

        deployment.restartEdgeProxy();
        // A new process: the proxy's ephemeral public certificate is new too, so trust what it presents now.
        EdgeClient after = deployment.edge("127.0.0.18");

        JsonNode progress = after.get("/api/v1/enroll/session", session).json();
        assertThat(progress.path("steps").path("password").asBoolean()).as(progress.toString()).isTrue();
        EdgeClient.Response totp = after.postJson("/api/v1/enroll/totp/start", Map.of(), session);
        assertThat(totp.status()).as(totp.toString()).isEqualTo(200);
        String secret = totp.json().path("secret").asText();
        EdgeClient.Response confirmed = after.postJson("/api/v1/enroll/totp/confirm", Map.of("code", Oathtool.totp(secret)), session);
        assertThat(confirmed.status()).as(confirmed.toString()).isEqualTo(204);
        EdgeClient.Response codes = after.postJson("/api/v1/enroll/recovery-codes", Map.of(), session);
        assertThat(codes.status()).as(codes.toString()).isEqualTo(200);
        assertThat(codes.json().path("codes").size()).isEqualTo(10);
        EdgeClient.Response device = after.postJson("/api/v1/enroll/devices", EnrollmentDeployment.body(
                "name", "restarter-phone", "wireguardPublicKey", newWireGuardPublicKey(), "credentialPublicKey", null,
                "kind", "config"), session);
        assertThat(device.status()).as(device.toString()).isEqualTo(201);
        EdgeClient.Response complete = after.postJson("/api/v1/enroll/complete", Map.of(), session);
        assertThat(complete.status()).as(complete.toString()).isEqualTo(200);
        assertThat(deployment.userState("restarter")).isEqualTo("ACTIVE");

        // The proxy's state directory: the same files as before the enrollment, none holding user data.
        Map<String, String> stateAfter = fingerprints(deployment.edgeState());
        assertThat(stateAfter.keySet()).as("files in the proxy's state directory").isEqualTo(stateBefore.keySet());
        System.out.println("edge-proxy state directory: " + stateAfter.keySet());
        try (Stream<Path> files = Files.walk(deployment.edgeState())) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                assertThat(Files.readString(file, StandardCharsets.ISO_8859_1).strip())
                        .as(file + ": only keys and certificates (PEM) in the proxy's state")
                        .matches("(?s)(-----BEGIN [A-Z0-9 ]+-----\\s+[A-Za-z0-9+/=\\s]+-----END [A-Z0-9 ]+-----\\s*)+");
            }
        }
        List<Path> roots = List.of(deployment.edgeState());
        for (String userData : List.of("restarter", "restarter@example.com", cookie, csrf, password, secret, invite.token())) {
            assertThat(EnrollmentDeployment.filesContaining(roots, userData)).as("proxy state files containing user data").isEmpty();
        }
        for (JsonNode code : codes.json().path("codes")) {
            assertThat(EnrollmentDeployment.filesContaining(List.of(deployment.quickstart.state), code.asText()))
                    .as("files holding a recovery code").isEmpty();
        }
    }

    // ---- helpers ---------------------------------------------------------------------------------------

    private static void assertAllTheNeutralInvalidLinkAnswer(Map<String, EdgeClient.Response> answers) {
        for (Map.Entry<String, EdgeClient.Response> answer : answers.entrySet()) {
            assertThat(answer.getValue().status()).as(answer.getKey() + ": " + answer.getValue()).isEqualTo(404);
            assertThat(answer.getValue().body()).as(answer.getKey() + " body, byte for byte")
                    .isEqualTo(EnrollmentDeployment.INVALID_INVITE_BODY.getBytes(StandardCharsets.UTF_8));
            assertThat(answer.getValue().header("Content-Type")).as(answer.getKey() + " content type")
                    .isEqualTo(answers.values().iterator().next().header("Content-Type"));
        }
    }

    /** A JSON {"error": "..."} body that a user can read: no stack trace, no class names, no SQL. */
    private static void assertNeutralError(EdgeClient.Response response) {
        String text = response.text();
        JsonNode json = response.json();
        assertThat(json.isObject() && json.path("error").isTextual()).as("an {\"error\": ...} body: " + text).isTrue();
        assertThat(text).doesNotContain("Exception", "\tat ", ".java:", "dev.portcullis", "io.micronaut", "io.grpc",
                "io.netty", "SQL", "postgres");
    }

    /**
     * GETs a path from one address (bounded), on kept-alive connections as a browser would, until
     * an answer is rate-limited, and returns that answer.
     */
    private static EdgeClient.Response firstLimited(EdgeClient edge, String path) throws Exception {
        Map<Integer, Integer> seen = new TreeMap<>();
        EdgeClient.Connection connection = edge.connect();
        try {
            for (int i = 0; i < MAX_PROBES; i++) {
                if (!connection.open()) {
                    connection.close();
                    connection = edge.connect();
                }
                EdgeClient.Response response = connection.get(path);
                if (response.status() == 429) {
                    return response;
                }
                seen.merge(response.status(), 1, Integer::sum);
            }
        } finally {
            connection.close();
        }
        throw new AssertionError("no 429 after " + MAX_PROBES + " requests from one address; statuses " + seen);
    }

    /** File name → SHA-256 of its content, for every file under a directory. */
    private static Map<String, String> fingerprints(Path dir) throws Exception {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path file : walk.filter(Files::isRegularFile).toList()) {
                files.put(dir.relativize(file).toString(),
                        HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file))));
            }
        }
        return files;
    }

    private static String randomToken() {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static String newWireGuardPublicKey() throws Exception {
        Process genkey = new ProcessBuilder("bash", "-c", "wg genkey | wg pubkey").redirectErrorStream(true).start();
        String key = new String(genkey.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(genkey.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(Base64.getDecoder().decode(key)).hasSize(32);
        return key;
    }
}
