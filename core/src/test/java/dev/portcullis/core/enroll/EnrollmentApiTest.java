package dev.portcullis.core.enroll;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.portcullis.core.identity.UserState;
import dev.portcullis.enrollment.password.PasswordRules;
import dev.portcullis.enrollment.token.InviteToken;
import dev.portcullis.enrollment.token.SessionSecret;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The public enrollment API of enrollment/API.md, driven as an edge-proxy forwards it, against real PostgreSQL. */
class EnrollmentApiTest {

    private static final String COOKIE = "__Host-portcullis-enroll";
    private static final String PASSPHRASE = "correct horse battery staple";

    private EnrollmentFixture fixture = new EnrollmentFixture();

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    private static String token(String text) {
        return "{\"token\":\"" + text + "\"}";
    }

    private static String deviceJson(String name, WireGuardPublicKey key) {
        return "{\"name\":\"" + name + "\",\"wireguardPublicKey\":\"" + key.base64() + "\",\"credentialPublicKey\":null,"
                + "\"kind\":\"config\"}";
    }

    /** Password, TOTP (confirmed with the app's code) and recovery codes: everything complete needs. */
    private String enrollFactors(PublicClient browser) {
        assertThat(browser.post("/api/v1/enroll/password", "{\"password\":\"" + PASSPHRASE + "\"}").status()).isEqualTo(204);
        String secret = browser.post("/api/v1/enroll/totp/start", "{}").json().path("secret").asText();
        PublicClient.Answer confirmed = browser.post("/api/v1/enroll/totp/confirm",
                "{\"code\":\"" + TotpCodes.at(secret, fixture.clock.instant()) + "\"}");
        assertThat(confirmed.status()).as(confirmed.body()).isEqualTo(204);
        assertThat(browser.post("/api/v1/enroll/recovery-codes", "{}").status()).isEqualTo(200);
        return secret;
    }

    // ---- redeem ---------------------------------------------------------------------------------------------

    @Test
    void redeemOpensAThirtyMinuteSessionWithTheContractsCookieAndACsrfValue() {
        fixture.user("alice");
        PublicClient browser = fixture.browser();

        PublicClient.Answer answer = browser.post("/api/v1/enroll/redeem", token(fixture.inviteToken("alice")));

        assertThat(answer.status()).as(answer.body()).isEqualTo(200);
        assertThat(answer.header("content-type")).contains("application/json; charset=utf-8");
        assertThat(answer.header("cache-control")).contains("no-store");
        String cookie = browser.cookies().get(COOKIE);
        assertThat(cookie).hasSize(43);
        assertThat(answer.headers().get("set-cookie")).containsExactly(
                COOKIE + "=" + cookie + "; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=1800");
        JsonNode body = answer.json();
        assertThat(body.path("user").path("name").asText()).isEqualTo("alice");
        assertThat(body.path("user").path("email").asText()).isEqualTo("alice@example.com");
        assertThat(body.path("user").path("displayName").asText()).isEqualTo("Alice Example");
        assertThat(SessionSecret.parse(body.path("csrf").asText())).isPresent();
        assertThat(body.path("csrf").asText()).isNotEqualTo(cookie);
        assertThat(Instant.parse(body.path("expiresAt").asText())).isEqualTo(fixture.clock.instant().plus(Duration.ofMinutes(30)));
        assertThat(body.path("requires").path("totp").asBoolean(true)).isFalse();
        assertThat(body.path("requires").path("webauthn").asBoolean(true)).isFalse();
        assertThat(body.path("passwordRules").asText()).isEqualTo(PasswordRules.DESCRIPTION);
        assertThat(storedSessionHashes()).as("only the cookie's hash is stored")
                .containsExactly(Base64.getEncoder().encodeToString(SessionSecret.parse(cookie).orElseThrow().sha256()));
    }

    @Test
    void everyRefusedInviteGetsTheSameStatusAndTheSameBytes() {
        String expected = "{\"error\":\"This link is not valid any more. Ask your administrator for a new invite.\"}";
        for (String user : List.of("used", "superseded", "revoked", "disabled", "expired")) {
            fixture.user(user);
        }
        List<PublicClient.Answer> answers = new ArrayList<>();
        answers.add(fixture.browser().post("/api/v1/enroll/redeem", token(InviteToken.mint().reveal())));
        answers.add(fixture.browser().post("/api/v1/enroll/redeem", token("not-a-token")));
        String used = fixture.inviteToken("used");
        assertThat(fixture.browser().post("/api/v1/enroll/redeem", token(used)).status()).isEqualTo(200);
        answers.add(fixture.browser().post("/api/v1/enroll/redeem", token(used)));
        String superseded = fixture.inviteToken("superseded");
        fixture.inviteToken("superseded");
        answers.add(fixture.browser().post("/api/v1/enroll/redeem", token(superseded)));
        String revoked = fixture.inviteToken("revoked");
        fixture.users.disable("revoked", EnrollmentFixture.ADMIN);
        fixture.users.enable("revoked", EnrollmentFixture.ADMIN);
        answers.add(fixture.browser().post("/api/v1/enroll/redeem", token(revoked)));
        String disabled = fixture.inviteToken("disabled");
        sql("UPDATE users SET state = 'DISABLED' WHERE name = 'disabled'");
        answers.add(fixture.browser().post("/api/v1/enroll/redeem", token(disabled)));
        String expired = fixture.inviteToken("expired");
        fixture.clock.advance(Duration.ofHours(24).plusSeconds(1));
        answers.add(fixture.browser().post("/api/v1/enroll/redeem", token(expired)));

        assertThat(answers).allSatisfy(answer -> {
            assertThat(answer.status()).isEqualTo(404);
            assertThat(answer.body()).isEqualTo(expected);
            assertThat(answer.headers().get("set-cookie")).isNull();
            assertThat(answer.headers()).isEqualTo(answers.get(0).headers());
        });
    }

    @Test
    void fiftyConcurrentRedeemersOfOneInviteGetExactlyOneSession() throws Exception {
        fixture.close();
        fixture = new EnrollmentFixture(new EnrollmentEndpoints.Limits(1000, 60, 5, 5));
        fixture.user("alice");
        String invite = token(fixture.inviteToken("alice"));
        int redeemers = 50;
        ExecutorService threads = Executors.newFixedThreadPool(redeemers);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<PublicClient.Answer>> results = new ArrayList<>();
            for (int i = 0; i < redeemers; i++) {
                PublicClient browser = fixture.browser("198.51.100." + (i + 1));
                Callable<PublicClient.Answer> redeem = () -> {
                    start.await();
                    return browser.post("/api/v1/enroll/redeem", invite);
                };
                results.add(threads.submit(redeem));
            }
            start.countDown();
            List<PublicClient.Answer> answers = new ArrayList<>();
            for (Future<PublicClient.Answer> result : results) {
                answers.add(result.get(60, TimeUnit.SECONDS));
            }

            assertThat(answers).filteredOn(a -> a.status() == 200).hasSize(1);
            assertThat(answers).filteredOn(a -> a.status() == 404).hasSize(redeemers - 1)
                    .extracting(PublicClient.Answer::body).containsOnly(
                            "{\"error\":\"This link is not valid any more. Ask your administrator for a new invite.\"}");
            assertThat(count("SELECT count(*) FROM enrollment_sessions")).isEqualTo(1);
            assertThat(count("SELECT count(*) FROM invites WHERE redeemed_at IS NOT NULL")).isEqualTo(1);
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void redeemAttemptsAreLimitedPerTokenWithRetryAfter() {
        String unknown = token(InviteToken.mint().reveal());
        for (int i = 0; i < 5; i++) {
            assertThat(fixture.browser("192.0.2." + i).post("/api/v1/enroll/redeem", unknown).status()).isEqualTo(404);
        }

        PublicClient.Answer limited = fixture.browser("192.0.2.99").post("/api/v1/enroll/redeem", unknown);

        assertThat(limited.status()).isEqualTo(429);
        assertThat(Long.parseLong(limited.header("retry-after").orElseThrow())).isBetween(1L, 60L);
        assertThat(limited.error()).startsWith("Too many attempts with this link.");
        assertThat(fixture.browser().post("/api/v1/enroll/redeem", token(InviteToken.mint().reveal())).status())
                .as("another token has its own limit").isEqualTo(404);
        fixture.clock.advance(Duration.ofSeconds(61));
        assertThat(fixture.browser().post("/api/v1/enroll/redeem", unknown).status()).isEqualTo(404);
    }

    // ---- CSRF, Origin, session -------------------------------------------------------------------------------

    @Test
    void everyStateChangingCallWithoutOrWithAWrongCsrfValueIs403() {
        fixture.user("alice");
        PublicClient browser = fixture.redeemed("alice");
        String csrf = browser.csrf();
        Map<String, String> calls = Map.of(
                "/api/v1/enroll/password", "{\"password\":\"" + PASSPHRASE + "\"}",
                "/api/v1/enroll/totp/start", "{}",
                "/api/v1/enroll/totp/confirm", "{\"code\":\"123456\"}",
                "/api/v1/enroll/webauthn/start", "{\"nickname\":\"key\"}",
                "/api/v1/enroll/webauthn/finish", "{\"credential\":{\"id\":\"x\"}}",
                "/api/v1/enroll/recovery-codes", "{}",
                "/api/v1/enroll/devices", deviceJson("laptop", EnrollmentFixture.randomKey()),
                "/api/v1/enroll/complete", "{}");

        for (Map.Entry<String, String> call : calls.entrySet()) {
            PublicClient.Answer missing = browser.postWithoutCsrf(call.getKey(), call.getValue());
            assertThat(missing.status()).as(call.getKey() + " without CSRF: " + missing.body()).isEqualTo(403);
            assertThat(missing.error()).isEqualTo("This request did not come from the enrollment page. Reload the page and try again.");
            browser.csrf(SessionSecret.mint().reveal());
            assertThat(browser.post(call.getKey(), call.getValue()).status()).as(call.getKey() + " wrong CSRF").isEqualTo(403);
            browser.csrf(csrf);
        }
        fixture.user("bob");
        String otherSessionsCsrf = fixture.redeemed("bob").csrf();
        assertThat(browser.csrf(otherSessionsCsrf).post("/api/v1/enroll/recovery-codes", "{}").status())
                .as("another session's CSRF value").isEqualTo(403);
        assertThat(browser.csrf(csrf).post("/api/v1/enroll/recovery-codes", "{}").status())
                .as("nothing was done by the refused calls").isEqualTo(200);
        assertThat(count("SELECT count(*) FROM devices")).isZero();
        assertThat(count("SELECT count(*) FROM users WHERE password_hash IS NOT NULL")).isZero();
    }

    @Test
    void requestsFromAnotherOriginAreRefused() {
        fixture.user("alice");
        String invite = token(fixture.inviteToken("alice"));

        PublicClient.Answer crossSite = fixture.browser().origin("https://evil.example").post("/api/v1/enroll/redeem", invite);
        PublicClient.Answer otherPort = fixture.browser().origin(EnrollmentFixture.ORIGIN + ":8443")
                .post("/api/v1/enroll/redeem", invite);

        assertThat(crossSite.status()).isEqualTo(403);
        assertThat(crossSite.error()).isEqualTo("This request came from another site and was refused.");
        assertThat(otherPort.status()).isEqualTo(403);
        PublicClient browser = fixture.browser().origin(null);
        assertThat(browser.post("/api/v1/enroll/redeem", invite).status()).as("no Origin header (the agent)").isEqualTo(200);
        assertThat(browser.origin("https://evil.example").post("/api/v1/enroll/recovery-codes", "{}").status()).isEqualTo(403);
        assertThat(browser.origin(EnrollmentFixture.ORIGIN).post("/api/v1/enroll/recovery-codes", "{}").status()).isEqualTo(200);
    }

    @Test
    void theSessionEndsThirtyMinutesAfterRedemption() {
        fixture.user("alice");
        PublicClient browser = fixture.redeemed("alice");

        fixture.clock.advance(Duration.ofMinutes(30).minusSeconds(1));
        assertThat(browser.get("/api/v1/enroll/session").status()).isEqualTo(200);
        fixture.clock.advance(Duration.ofSeconds(1));
        PublicClient.Answer ended = browser.get("/api/v1/enroll/session");
        PublicClient.Answer step = browser.post("/api/v1/enroll/recovery-codes", "{}");

        assertThat(ended.status()).isEqualTo(401);
        assertThat(ended.error()).isEqualTo("Your enrollment session has ended. Ask your administrator for a new invite link.");
        assertThat(step.status()).isEqualTo(401);
        assertThat(fixture.browser().get("/api/v1/enroll/session").status()).as("no cookie at all").isEqualTo(401);
    }

    @Test
    void sessionShowsWhichStepsAreDone() {
        fixture.user("alice");
        fixture.location("berlin", "10.8.0.0/24", List.of("webauthn"), List.of());
        PublicClient browser = fixture.redeemed("alice");

        JsonNode before = browser.get("/api/v1/enroll/session").json();
        enrollFactors(browser);
        browser.post("/api/v1/enroll/devices", deviceJson("laptop", EnrollmentFixture.randomKey()));
        JsonNode after = browser.get("/api/v1/enroll/session").json();

        assertThat(before.path("steps").toString())
                .isEqualTo("{\"password\":false,\"totp\":false,\"webauthn\":0,\"recoveryCodes\":false,\"devices\":0}");
        assertThat(before.path("requires").toString()).isEqualTo("{\"totp\":false,\"webauthn\":true}");
        assertThat(after.path("steps").toString())
                .isEqualTo("{\"password\":true,\"totp\":true,\"webauthn\":0,\"recoveryCodes\":true,\"devices\":1}");
        assertThat(after.path("user").path("name").asText()).isEqualTo("alice");
        assertThat(after.path("expiresAt").asText()).isEqualTo(before.path("expiresAt").asText());
    }

    // ---- password, TOTP, WebAuthn, recovery codes ---------------------------------------------------------------------

    @Test
    void passwordMustFollowTheRulesAndTheBrokenRuleIsNamed() {
        fixture.user("alice");
        PublicClient browser = fixture.redeemed("alice");

        PublicClient.Answer tooShort = browser.post("/api/v1/enroll/password", "{\"password\":\"short\"}");
        PublicClient.Answer personal = browser.post("/api/v1/enroll/password", "{\"password\":\"alice-example-rocks\"}");
        PublicClient.Answer good = browser.post("/api/v1/enroll/password", "{\"password\":\"" + PASSPHRASE + "\"}");

        assertThat(tooShort.status()).isEqualTo(400);
        assertThat(tooShort.error()).isEqualTo(PasswordRules.DESCRIPTION);
        assertThat(personal.status()).isEqualTo(400);
        assertThat(personal.error()).isEqualTo("Don't use your name or e-mail address in your password.");
        assertThat(good.status()).isEqualTo(204);
        assertThat(good.body()).isEmpty();
        assertThat(string("SELECT password_hash FROM users WHERE name = 'alice'")).startsWith("$argon2id$")
                .doesNotContain(PASSPHRASE);
    }

    @Test
    void totpIsConfirmedWithTheCurrentCodeOfTheLastSecretShown() {
        fixture.user("alice");
        PublicClient browser = fixture.redeemed("alice");

        JsonNode first = browser.post("/api/v1/enroll/totp/start", "{}").json();
        JsonNode second = browser.post("/api/v1/enroll/totp/start", "{}").json();
        String secret = second.path("secret").asText();
        Instant now = fixture.clock.instant();
        PublicClient.Answer oldSecret = browser.post("/api/v1/enroll/totp/confirm",
                "{\"code\":\"" + TotpCodes.at(first.path("secret").asText(), now) + "\"}");
        PublicClient.Answer wrong = browser.post("/api/v1/enroll/totp/confirm", "{\"code\":\"000000x\"}");
        PublicClient.Answer right = browser.post("/api/v1/enroll/totp/confirm", "{\"code\":\"" + TotpCodes.at(secret, now) + "\"}");

        assertThat(secret).matches("[A-Z2-7]{32}").isNotEqualTo(first.path("secret").asText());
        assertThat(second.path("otpauthUri").asText()).isEqualTo("otpauth://totp/Portcullis:alice?secret=" + secret
                + "&issuer=Portcullis&algorithm=SHA1&digits=6&period=30");
        assertThat(oldSecret.status()).isEqualTo(400);
        assertThat(oldSecret.error()).startsWith("That code did not match.");
        assertThat(wrong.status()).isEqualTo(400);
        assertThat(right.status()).as(right.body()).isEqualTo(204);
        byte[] sealed = fixture.database.inTransaction(c -> {
            try (ResultSet rs = c.createStatement().executeQuery("SELECT sealed_secret, last_used_step FROM totp_credentials")) {
                rs.next();
                assertThat(rs.getLong("last_used_step")).isEqualTo(Math.floorDiv(now.getEpochSecond(), 30));
                return rs.getBytes("sealed_secret");
            }
        });
        assertThat(new String(sealed, java.nio.charset.StandardCharsets.ISO_8859_1)).doesNotContain(secret);
        assertThat(browser.post("/api/v1/enroll/totp/confirm", "{\"code\":\"" + TotpCodes.at(secret, now) + "\"}").status())
                .as("the pending secret was used up").isEqualTo(409);
    }

    @Test
    void totpCodeGuessesAreLimitedPerSession() {
        fixture.user("alice");
        PublicClient browser = fixture.redeemed("alice");
        browser.post("/api/v1/enroll/totp/start", "{}");
        for (int i = 0; i < 5; i++) {
            assertThat(browser.post("/api/v1/enroll/totp/confirm", "{\"code\":\"00000" + i + "\"}").status())
                    .isIn(400, 204, 409);
        }

        PublicClient.Answer limited = browser.post("/api/v1/enroll/totp/confirm", "{\"code\":\"000009\"}");

        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.header("retry-after")).isPresent();
    }

    @Test
    void webAuthnStartNamesThisEdgeProxysOriginAsRelyingParty() {
        fixture.user("alice");
        PublicClient browser = fixture.redeemed("alice");

        PublicClient.Answer started = browser.post("/api/v1/enroll/webauthn/start", "{\"nickname\":\"YubiKey 5\"}");

        assertThat(started.status()).as(started.body()).isEqualTo(200);
        JsonNode options = started.json().path("publicKey");
        assertThat(options.path("rp").path("id").asText()).isEqualTo("access.example.com");
        assertThat(options.path("rp").path("name").asText()).isEqualTo("Portcullis");
        assertThat(options.path("user").path("name").asText()).isEqualTo("alice");
        assertThat(options.path("user").path("displayName").asText()).isEqualTo("Alice Example");
        assertThat(Base64.getUrlDecoder().decode(options.path("user").path("id").asText())).hasSize(32);
        assertThat(options.path("challenge").asText()).isNotBlank();
        assertThat(options.path("authenticatorSelection").path("userVerification").asText()).isEqualTo("required");
        assertThat(string("SELECT pending_webauthn_request FROM enrollment_sessions")).contains(options.path("challenge").asText());
        assertThat(string("SELECT pending_webauthn_nickname FROM enrollment_sessions")).isEqualTo("YubiKey 5");
    }

    @Test
    void webAuthnFinishWithBadDataIs400WithACleanMessageAndTheChallengeIsSpent() {
        fixture.user("alice");
        PublicClient browser = fixture.redeemed("alice");
        assertThat(browser.post("/api/v1/enroll/webauthn/start", "{\"nickname\":\"key\"}").status()).isEqualTo(200);
        String forged = "{\"credential\":{\"id\":\"AAAA\",\"rawId\":\"AAAA\",\"type\":\"public-key\",\"response\":"
                + "{\"clientDataJSON\":\"e30\",\"attestationObject\":\"oA\",\"transports\":[\"usb\"]},"
                + "\"clientExtensionResults\":{}}}";

        PublicClient.Answer refused = browser.post("/api/v1/enroll/webauthn/finish", forged);
        PublicClient.Answer again = browser.post("/api/v1/enroll/webauthn/finish", forged);

        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.error()).isIn("The security key's answer could not be read. Please try again.",
                "The security key could not be verified. Please try again.");
        assertThat(refused.body()).doesNotContain("Exception").doesNotContain("yubico").doesNotContain("\tat ");
        assertThat(again.status()).as("the challenge was spent by the first answer").isEqualTo(409);
        assertThat(again.error()).isEqualTo("This security key request has expired. Please start again.");
        assertThat(count("SELECT count(*) FROM webauthn_credentials")).isZero();
        PublicClient.Answer notAnObject = browser.post("/api/v1/enroll/webauthn/finish", "{\"credential\":\"text\"}");
        assertThat(notAnObject.status()).isEqualTo(400);
    }

    @Test
    void recoveryCodesAreShownOnceOnlyAndStoredHashed() {
        fixture.user("alice");
        PublicClient browser = fixture.redeemed("alice");

        PublicClient.Answer first = browser.post("/api/v1/enroll/recovery-codes", "{}");
        PublicClient.Answer second = browser.post("/api/v1/enroll/recovery-codes", "{}");

        assertThat(first.status()).isEqualTo(200);
        List<String> codes = new ArrayList<>();
        first.json().path("codes").forEach(code -> codes.add(code.asText()));
        assertThat(codes).hasSize(10).allMatch(code -> code.matches("[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}"))
                .doesNotHaveDuplicates();
        assertThat(second.status()).isEqualTo(409);
        assertThat(second.body()).doesNotContain(codes.get(0));
        assertThat(count("SELECT count(*) FROM recovery_codes WHERE octet_length(code_hash) = 32")).isEqualTo(10);
        assertThat(string("SELECT string_agg(encode(code_hash, 'escape'), '') FROM recovery_codes"))
                .doesNotContain(codes.get(0).replace("-", ""));
    }

    // ---- devices ---------------------------------------------------------------------------------------------------------

    @Test
    void aRegisteredDeviceGetsItsConfigurationAtEveryLocationTheUserMayReach() {
        fixture.user("alice");
        fixture.groups.create("ops", EnrollmentFixture.ADMIN);
        fixture.location("berlin", "10.8.0.0/24", List.of("totp", "webauthn"), List.of());
        fixture.location("vault", "10.9.0.0/24", List.of("webauthn"), List.of("ops"));
        WireGuardPublicKey gateway = fixture.gateway("gw-berlin", "berlin", "10.8.0.1/24", "203.0.113.10", 51820, 1380);
        PublicClient browser = fixture.redeemed("alice");
        WireGuardPublicKey laptop = EnrollmentFixture.randomKey();

        PublicClient.Answer first = browser.post("/api/v1/enroll/devices", deviceJson("alice laptop", laptop));
        PublicClient.Answer second = browser.post("/api/v1/enroll/devices", deviceJson("alice-phone", EnrollmentFixture.randomKey()));

        assertThat(first.status()).as(first.body()).isEqualTo(201);
        JsonNode body = first.json();
        assertThat(body.path("device").path("name").asText()).isEqualTo("alice laptop");
        assertThat(body.path("device").path("kind").asText()).isEqualTo("config");
        assertThat(body.path("device").path("id").asText()).hasSize(36);
        assertThat(body.path("locations")).hasSize(1);
        assertThat(body.path("locations").get(0).toString()).isEqualTo("{\"name\":\"berlin\",\"address\":\"10.8.0.2/32\","
                + "\"dns\":[\"10.8.0.1\"],\"allowedIps\":[\"10.8.0.0/24\",\"192.168.50.0/24\"],\"mtu\":1380,"
                + "\"gateways\":[{\"endpoint\":\"203.0.113.10:51820\",\"publicKey\":\"" + gateway.base64() + "\"}]}");
        assertThat(second.json().path("locations").get(0).path("address").asText()).isEqualTo("10.8.0.3/32");
        assertThat(fixture.devices.list(java.util.Optional.of("alice"))).extracting(d -> d.publicKey())
                .contains(laptop);
    }

    @Test
    void deviceRegistrationRefusesWhatCannotWorkAndSaysWhy() throws Exception {
        fixture.user("alice");
        fixture.user("bob");
        fixture.location("berlin", "10.8.0.0/24", List.of(), List.of());
        PublicClient alice = fixture.redeemed("alice");
        WireGuardPublicKey key = EnrollmentFixture.randomKey();
        assertThat(alice.post("/api/v1/enroll/devices", deviceJson("laptop", key)).status()).isEqualTo(201);

        PublicClient.Answer sameName = alice.post("/api/v1/enroll/devices", deviceJson("laptop", EnrollmentFixture.randomKey()));
        PublicClient.Answer sameKey = fixture.redeemed("bob").post("/api/v1/enroll/devices", deviceJson("desktop", key));
        PublicClient.Answer agentWithoutCredential = alice.post("/api/v1/enroll/devices", "{\"name\":\"agent\",\"wireguardPublicKey\":\""
                + EnrollmentFixture.randomKey().base64() + "\",\"credentialPublicKey\":null,\"kind\":\"agent\"}");
        PublicClient.Answer badKey = alice.post("/api/v1/enroll/devices", "{\"name\":\"x\",\"wireguardPublicKey\":\"c2hvcnQ=\","
                + "\"credentialPublicKey\":null,\"kind\":\"config\"}");
        PublicClient.Answer badKind = alice.post("/api/v1/enroll/devices", "{\"name\":\"x\",\"wireguardPublicKey\":\""
                + EnrollmentFixture.randomKey().base64() + "\",\"credentialPublicKey\":null,\"kind\":\"router\"}");
        PublicClient.Answer badName = alice.post("/api/v1/enroll/devices", deviceJson("laptop\\u0000", EnrollmentFixture.randomKey()));

        assertThat(sameName.status()).isEqualTo(409);
        assertThat(sameName.error()).isEqualTo("You already have a device with that name. Choose another name.");
        assertThat(sameKey.status()).isEqualTo(409);
        assertThat(sameKey.error()).isEqualTo("That WireGuard key is already registered. Generate a new key pair for this device.");
        assertThat(agentWithoutCredential.status()).isEqualTo(400);
        assertThat(badKey.status()).isEqualTo(400);
        assertThat(badKey.error()).startsWith("The WireGuard public key must be 32 bytes");
        assertThat(badKind.status()).isEqualTo(400);
        assertThat(badName.status()).isEqualTo(400);
        assertThat(count("SELECT count(*) FROM devices")).isEqualTo(1);
        assertThat(count("SELECT count(*) FROM device_addresses")).as("refused registrations left no address").isEqualTo(1);

        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        byte[] spki = generator.generateKeyPair().getPublic().getEncoded();
        PublicClient.Answer agent = alice.post("/api/v1/enroll/devices", "{\"name\":\"agent\",\"wireguardPublicKey\":\""
                + EnrollmentFixture.randomKey().base64() + "\",\"credentialPublicKey\":\"" + Base64.getEncoder().encodeToString(spki)
                + "\",\"kind\":\"agent\"}");
        assertThat(agent.status()).as(agent.body()).isEqualTo(201);
        assertThat(agent.json().path("device").path("kind").asText()).isEqualTo("agent");
        byte[] stored = fixture.database.inTransaction(c -> {
            try (ResultSet rs = c.createStatement().executeQuery("SELECT credential_spki FROM devices WHERE name = 'agent'")) {
                rs.next();
                return rs.getBytes(1);
            }
        });
        assertThat(stored).isEqualTo(spki);
    }

    // ---- complete --------------------------------------------------------------------------------------------------------

    @Test
    void completeIsRefusedWithEveryMissingStepNamed() {
        fixture.user("alice");
        fixture.location("vault", "10.9.0.0/24", List.of("webauthn"), List.of());
        PublicClient browser = fixture.redeemed("alice");

        PublicClient.Answer nothingDone = browser.post("/api/v1/enroll/complete", "{}");
        enrollFactors(browser);
        PublicClient.Answer totpNotEnough = browser.post("/api/v1/enroll/complete", "{}");

        assertThat(nothingDone.status()).isEqualTo(409);
        assertThat(nothingDone.error()).isEqualTo("To finish, first set a password; add a security key (location 'vault' "
                + "requires WebAuthn); save your recovery codes.");
        assertThat(totpNotEnough.status()).isEqualTo(409);
        assertThat(totpNotEnough.error()).isEqualTo("To finish, first add a security key (location 'vault' requires WebAuthn).");
        assertThat(browser.cookies()).containsKey(COOKIE);
        assertThat(fixture.users.byName("alice").orElseThrow().state()).isEqualTo(UserState.INVITED);
    }

    @Test
    void completeWithoutASecondFactorAsksForOne() {
        fixture.user("alice");
        PublicClient browser = fixture.redeemed("alice");
        browser.post("/api/v1/enroll/password", "{\"password\":\"" + PASSPHRASE + "\"}");
        browser.post("/api/v1/enroll/recovery-codes", "{}");

        PublicClient.Answer refused = browser.post("/api/v1/enroll/complete", "{}");

        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.error()).isEqualTo("To finish, first add a second factor (an authenticator app or a security key).");
    }

    @Test
    void completeActivatesTheUserEndsTheSessionAndClearsTheCookie() {
        fixture.user("alice");
        fixture.location("berlin", "10.8.0.0/24", List.of("totp"), List.of());
        PublicClient browser = fixture.redeemed("alice");
        enrollFactors(browser);
        browser.post("/api/v1/enroll/devices", deviceJson("laptop", EnrollmentFixture.randomKey()));

        PublicClient.Answer done = browser.post("/api/v1/enroll/complete", "{}");

        assertThat(done.status()).as(done.body()).isEqualTo(200);
        assertThat(done.body()).isEqualTo("{\"user\":{\"name\":\"alice\",\"email\":\"alice@example.com\","
                + "\"displayName\":\"Alice Example\"},\"devices\":1}");
        assertThat(done.headers().get("set-cookie")).containsExactly(
                COOKIE + "=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
        assertThat(fixture.users.byName("alice").orElseThrow().state()).isEqualTo(UserState.ACTIVE);
        assertThat(fixture.users.byName("alice").orElseThrow().enrolledAt()).contains(fixture.clock.instant());
        assertThat(count("SELECT count(*) FROM enrollment_sessions WHERE ended_at IS NULL")).isZero();
        assertThat(browser.get("/api/v1/enroll/session").status()).isEqualTo(401);
    }

    // ---- the boundary ---------------------------------------------------------------------------------------------------

    @Test
    void malformedRequestsAreRefusedWithoutEchoingThem() {
        fixture.user("alice");
        PublicClient browser = fixture.redeemed("alice");

        PublicClient.Answer unknownField = browser.post("/api/v1/enroll/password", "{\"password\":\"" + PASSPHRASE
                + "\",\"admin\":true}");
        PublicClient.Answer wrongType = browser.post("/api/v1/enroll/redeem", "{\"token\":12345}");
        PublicClient.Answer duplicate = browser.post("/api/v1/enroll/totp/confirm", "{\"code\":\"1\",\"code\":\"2\"}");
        PublicClient.Answer trailing = browser.post("/api/v1/enroll/recovery-codes", "{} {}");
        PublicClient.Answer notJson = browser.post("/api/v1/enroll/recovery-codes", "<script>alert(1)</script>");
        PublicClient.Answer plainText = browser.send("POST", "/api/v1/enroll/recovery-codes", "{}", true, "text/plain");
        PublicClient.Answer tooLarge = browser.post("/api/v1/enroll/password", "{\"password\":\"" + "a".repeat(70_000) + "\"}");
        PublicClient.Answer wrongMethod = browser.get("/api/v1/enroll/complete");
        PublicClient.Answer unknownPath = browser.post("/api/v1/enroll/admin", "{}");

        for (PublicClient.Answer answer : List.of(unknownField, wrongType, duplicate, trailing, notJson)) {
            assertThat(answer.status()).as(answer.body()).isEqualTo(400);
            assertThat(answer.body()).doesNotContain("admin").doesNotContain("script").doesNotContain("12345")
                    .doesNotContain("Exception").doesNotContain("line:");
        }
        assertThat(plainText.status()).isEqualTo(415);
        assertThat(tooLarge.status()).isEqualTo(413);
        assertThat(wrongMethod.status()).isEqualTo(405);
        assertThat(unknownPath.status()).isEqualTo(404);
        assertThat(browser.post("/api/v1/enroll/recovery-codes", "{}").status()).as("refusals changed nothing").isEqualTo(200);
    }

    @Test
    void anEdgeProxyWithoutAPublicOriginCannotServeEnrollment() {
        var bare = fixture.registry.register("edge-bare", dev.portcullis.pki.cert.PeerIdentity.Role.EDGE_PROXY, "127.0.0.1", 7443);
        var record = fixture.registry.byName("edge-bare").orElseThrow().record();
        assertThat(bare.componentId()).isEqualTo(record.id());

        PublicClient.Answer answer = new PublicClient(fixture.api, record, null, "203.0.113.9")
                .post("/api/v1/enroll/redeem", token(InviteToken.mint().reveal()));

        assertThat(answer.status()).isEqualTo(503);
        assertThat(answer.error()).isEqualTo("Enrollment is not set up on this address yet. Ask your administrator.");
    }

    @Test
    void noSecretOfTheCeremonyReachesAnyLogLine() {
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        logs.start();
        root.addAppender(logs);
        try {
            fixture.user("alice");
            fixture.location("berlin", "10.8.0.0/24", List.of(), List.of());
            String invite = fixture.inviteToken("alice");
            PublicClient browser = fixture.browser();
            browser.post("/api/v1/enroll/redeem", token(invite));
            browser.post("/api/v1/enroll/password", "{\"password\":\"" + PASSPHRASE + "\"}");
            String secret = browser.post("/api/v1/enroll/totp/start", "{}").json().path("secret").asText();
            String code = TotpCodes.at(secret, fixture.clock.instant());
            browser.post("/api/v1/enroll/totp/confirm", "{\"code\":\"" + code + "\"}");
            List<String> codes = new ArrayList<>();
            browser.post("/api/v1/enroll/recovery-codes", "{}").json().path("codes").forEach(c -> codes.add(c.asText()));
            browser.post("/api/v1/enroll/devices", deviceJson("laptop", EnrollmentFixture.randomKey()));
            String cookie = browser.cookies().get(COOKIE);
            assertThat(browser.post("/api/v1/enroll/complete", "{}").status()).isEqualTo(200);

            List<String> secrets = new ArrayList<>(List.of(invite, cookie, browser.csrf(), secret, PASSPHRASE));
            secrets.addAll(codes);
            List<String> lines = logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
            assertThat(lines).isNotEmpty().allSatisfy(line -> {
                for (String s : secrets) {
                    assertThat(line).doesNotContain(s);
                }
            });
            assertThat(logs.list).filteredOn(e -> e.getLoggerName().equals("portcullis.audit"))
                    .extracting(ILoggingEvent::getFormattedMessage)
                    .anyMatch(l -> l.startsWith("action=invite.issued outcome=success actor=admin:test"))
                    .anyMatch(l -> l.startsWith("action=invite.redeemed outcome=success actor=user:alice source=203.0.113.7"))
                    .anyMatch(l -> l.contains("action=enrollment.step.done") && l.contains("step=totp"))
                    .anyMatch(l -> l.startsWith("action=device.registered"))
                    .anyMatch(l -> l.startsWith("action=enrollment.completed"));
        } finally {
            root.detachAppender(logs);
        }
    }

    // ---- helpers ------------------------------------------------------------------------------------------------------

    private List<String> storedSessionHashes() {
        return fixture.database.inTransaction(c -> {
            try (ResultSet rs = c.createStatement().executeQuery("SELECT session_hash FROM enrollment_sessions")) {
                List<String> hashes = new ArrayList<>();
                while (rs.next()) {
                    hashes.add(Base64.getEncoder().encodeToString(rs.getBytes(1)));
                }
                return hashes;
            }
        });
    }

    private long count(String sql) {
        return fixture.database.inTransaction(c -> {
            try (ResultSet rs = c.createStatement().executeQuery(sql)) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    private String string(String sql) {
        return fixture.database.inTransaction(c -> {
            try (ResultSet rs = c.createStatement().executeQuery(sql)) {
                rs.next();
                return rs.getString(1);
            }
        });
    }

    private void sql(String sql) {
        fixture.database.inTransaction(c -> {
            try (PreparedStatement statement = c.prepareStatement(sql)) {
                return statement.executeUpdate();
            }
        });
    }
}
