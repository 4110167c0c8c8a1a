package dev.portcullis.core.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.portcullis.core.component.ComponentSettings;
import dev.portcullis.core.enroll.EnrollmentFixture;
import dev.portcullis.core.enroll.PublicClient;
import dev.portcullis.core.location.FakeGatewayLinks;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import dev.portcullis.protocol.v1.ConfigUpdate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Starting, finishing, listing and revoking tunnel sessions with TOTP, and the attempt limits, on real PostgreSQL. */
class TunnelSessionsTest {

    private static final String START = "/api/v1/tunnel/sessions";
    private static final String FINISH = "/api/v1/tunnel/sessions/finish";
    private static final String OFFICE_TOTP = "{\"location\":\"office\",\"method\":\"totp\"}";

    private final TunnelFixture fixture = new TunnelFixture();
    private WireGuardPublicKey gatewayKey;
    private TunnelFixture.Agent alice;
    private DeviceClient device;

    @BeforeEach
    void setUp() throws Exception {
        fixture.base.location("office", "10.80.0.0/24", List.of("totp", "webauthn"), List.of());
        gatewayKey = fixture.base.gateway("gw-1", "office", "10.80.0.1/24", "203.0.113.10", 51820, 1420);
        alice = fixture.enroll("alice", "alice-laptop", true, false);
        device = fixture.device(alice);
        // Enrollment spent the code of the current step; tunnel MFA uses the following ones.
        fixture.base.clock.advance(Duration.ofSeconds(30));
    }

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    private String startTotp() {
        PublicClient.Answer started = device.post(START, OFFICE_TOTP);
        TunnelFixture.check(started, 201);
        return started.json().path("attempt").asText();
    }

    private PublicClient.Answer finish(String attempt, String code) {
        return device.post(FINISH, "{\"attempt\":\"" + attempt + "\",\"code\":\"" + code + "\"}");
    }

    private String wrongCode() {
        String right = fixture.code(alice);
        return right.equals("000000") ? "111111" : "000000";
    }

    // ---- start --------------------------------------------------------------------------------------------------

    @Test
    void startAnswersAnAttemptThatExpiresInFiveMinutes() {
        PublicClient.Answer started = device.post(START, OFFICE_TOTP);

        TunnelFixture.check(started, 201);
        JsonNode body = started.json();
        assertThat(AttemptId.parse(body.path("attempt").asText())).isPresent();
        assertThat(body.path("method").asText()).isEqualTo("totp");
        assertThat(Instant.parse(body.path("expiresAt").asText())).isEqualTo(fixture.base.clock.instant().plus(Duration.ofMinutes(5)));
        assertThat(body.path("browserUrl").isNull()).isTrue();
        assertThat(fixture.events("tunnel.mfa.started")).isEqualTo(1);
    }

    @Test
    void startForALocationTheUserMayNotUseIs404() {
        fixture.base.groups.create("ops", EnrollmentFixture.ADMIN);
        fixture.base.location("vault", "10.90.0.0/24", List.of("totp"), List.of("ops"));

        PublicClient.Answer restricted = device.post(START, "{\"location\":\"vault\",\"method\":\"totp\"}");
        PublicClient.Answer unknown = device.post(START, "{\"location\":\"nowhere\",\"method\":\"totp\"}");

        assertThat(restricted.status()).isEqualTo(404);
        assertThat(restricted.error()).isEqualTo("No location 'vault' for this device.");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.error()).isEqualTo("No location 'nowhere' for this device.");
        assertThat(fixture.count("SELECT count(*) FROM mfa_attempts")).isZero();
    }

    @Test
    void aMethodTheLocationDoesNotAllowOrTheUserDoesNotHaveIs400() {
        fixture.base.location("lab", "10.91.0.0/24", List.of("webauthn"), List.of());
        fixture.base.database.inTransaction(c -> c.createStatement().executeUpdate(
                "INSERT INTO device_addresses (device_id, location, address) VALUES ('" + alice.deviceId() + "', 'lab', '10.91.0.2/32')"));

        PublicClient.Answer notAllowed = device.post(START, "{\"location\":\"lab\",\"method\":\"totp\"}");
        PublicClient.Answer noKey = device.post(START, "{\"location\":\"office\",\"method\":\"webauthn\"}");
        PublicClient.Answer unknownMethod = device.post(START, "{\"location\":\"office\",\"method\":\"sms\"}");
        PublicClient.Answer unknownField = device.post(START, "{\"location\":\"office\",\"method\":\"totp\",\"x\":1}");

        assertThat(notAllowed.status()).isEqualTo(400);
        assertThat(notAllowed.error()).isEqualTo("Location 'lab' accepts only webauthn.");
        assertThat(noKey.status()).isEqualTo(400);
        assertThat(noKey.error()).isEqualTo("Your account has no security key.");
        assertThat(unknownMethod.status()).isEqualTo(400);
        assertThat(unknownField.status()).isEqualTo(400);
    }

    // ---- finish with TOTP ---------------------------------------------------------------------------------------

    @Test
    void theRightCodeAdmitsTheDeviceAndHandsOutTheKeyOnce() {
        String attempt = startTotp();

        PublicClient.Answer finished = finish(attempt, fixture.code(alice));

        TunnelFixture.check(finished, 200);
        JsonNode session = finished.json().path("session");
        byte[] psk = Base64.getDecoder().decode(session.path("presharedKey").asText());
        assertThat(psk).hasSize(32);
        assertThat(session.path("id").asText()).hasSize(22);
        assertThat(session.path("location").asText()).isEqualTo("office");
        assertThat(session.path("device").asText()).isEqualTo("alice-laptop");
        assertThat(session.path("method").asText()).isEqualTo("TOTP");
        assertThat(session.path("address").asText()).isEqualTo("10.80.0.2/32");
        assertThat(session.path("allowedIps").toString()).isEqualTo("[\"10.80.0.0/24\",\"192.168.50.0/24\"]");
        assertThat(session.path("dns").toString()).isEqualTo("[\"10.8.0.1\"]");
        assertThat(session.path("mtu").asInt()).isEqualTo(1420);
        assertThat(session.path("idleTimeoutSeconds").asLong()).isEqualTo(600);
        assertThat(session.path("lastHandshake").isNull()).isTrue();
        assertThat(session.path("gateways").toString()).isEqualTo("[{\"name\":\"gw-1\",\"endpoint\":\"203.0.113.10:51820\","
                + "\"publicKey\":\"" + gatewayKey.base64() + "\"}]");
        assertThat(Duration.between(Instant.parse(session.path("startedAt").asText()), Instant.parse(session.path("notAfter").asText())))
                .isEqualTo(Duration.ofHours(8));
        ConfigUpdate pushed = fixture.base.links.pushed.get(fixture.base.links.pushed.size() - 1).update();
        assertThat(pushed.getAdmit().getPresharedKey().toByteArray()).as("the gateway got the same key").isEqualTo(psk);
        assertThat(pushed.getAdmit().getAllowedIpsList()).containsExactly("10.80.0.2/32");
        assertThat(pushed.getAdmit().getPublicKey().toByteArray()).isEqualTo(alice.wireguardKey().bytes());
        assertThat(fixture.count("SELECT count(*) FROM location_peers p JOIN users u ON u.id = p.user_id "
                + "WHERE u.name = 'alice' AND p.device_id = ? AND p.mfa_method = 'TOTP' AND p.session_id = ?",
                alice.deviceId(), session.path("id").asText())).as("the row is owned by the user and device").isEqualTo(1);
        assertThat(fixture.count("SELECT count(*) FROM mfa_attempts")).as("the attempt is used up").isZero();
        assertThat(fixture.events("tunnel.mfa.succeeded")).isEqualTo(1);
        assertThat(fixture.events("tunnel.session.admitted")).isEqualTo(1);
        assertThat(finish(attempt, fixture.code(alice)).status()).as("an attempt finishes once").isEqualTo(410);
    }

    @Test
    void theSameCodeAgainIsAReplayAndCounts() {
        String code = fixture.code(alice);
        TunnelFixture.check(finish(startTotp(), code), 200);

        PublicClient.Answer replayed = finish(startTotp(), code);

        assertThat(replayed.status()).isEqualTo(409);
        assertThat(replayed.error()).isEqualTo("That code was already used. Wait for the next code.");
        assertThat(replayed.json().path("attemptsLeft").asInt()).isEqualTo(4);
        assertThat(fixture.audit()).filteredOn(l -> l.contains("action=tunnel.mfa.failed"))
                .singleElement().asString().contains("replayed_code");
    }

    @Test
    void aWrongCodeIs401WithAttemptsLeftAndTheAttemptStaysOpen() {
        String attempt = startTotp();

        PublicClient.Answer wrong = finish(attempt, wrongCode());
        PublicClient.Answer right = finish(attempt, fixture.code(alice));

        assertThat(wrong.status()).isEqualTo(401);
        assertThat(wrong.body()).isEqualTo("{\"error\":\"That code did not match.\",\"attemptsLeft\":4}");
        TunnelFixture.check(right, 200);
        assertThat(fixture.audit()).filteredOn(l -> l.contains("action=tunnel.mfa.failed"))
                .singleElement().asString().contains("wrong_code");
    }

    @Test
    void failuresGrowTheDelayAndTheFifthLocksForFifteenMinutes() {
        String attempt = startTotp();

        PublicClient.Answer first = finish(attempt, wrongCode());
        PublicClient.Answer second = finish(attempt, wrongCode());
        PublicClient.Answer insideDelay = finish(attempt, wrongCode());
        fixture.base.clock.advance(Duration.ofSeconds(1));
        PublicClient.Answer third = finish(attempt, wrongCode());
        fixture.base.clock.advance(Duration.ofSeconds(2));
        PublicClient.Answer fourth = finish(attempt, wrongCode());
        fixture.base.clock.advance(Duration.ofSeconds(3));
        PublicClient.Answer stillInsideDelay = finish(attempt, fixture.code(alice));
        fixture.base.clock.advance(Duration.ofSeconds(1));
        PublicClient.Answer fifth = finish(attempt, wrongCode());

        assertThat(List.of(first, second, third, fourth)).extracting(PublicClient.Answer::status).containsOnly(401);
        assertThat(List.of(first, second, third, fourth)).extracting(a -> a.json().path("attemptsLeft").asInt())
                .containsExactly(4, 3, 2, 1);
        assertThat(insideDelay.status()).isEqualTo(429);
        assertThat(insideDelay.header("retry-after")).contains("1");
        assertThat(insideDelay.error()).isEqualTo("Too many failed attempts. Try again in 1 second.");
        assertThat(stillInsideDelay.status()).as("a right code inside the delay is not considered").isEqualTo(429);
        assertThat(stillInsideDelay.header("retry-after")).contains("1");
        assertThat(fifth.status()).isEqualTo(429);
        assertThat(fifth.header("retry-after")).contains("900");
        assertThat(fifth.body()).isEqualTo("{\"error\":\"Too many failed attempts: locked for 15 minutes. Ask your "
                + "administrator if this was not you.\",\"locked\":true}");
        assertThat(fixture.count("SELECT failures FROM mfa_failures WHERE key = ?", "user:" + userId()))
                .as("requests inside a delay were not counted").isEqualTo(5);
        assertThat(fixture.events("tunnel.mfa.locked")).as("user and device locked; the shared address not yet").isEqualTo(2);
        assertThat(fixture.events("tunnel.mfa.throttled")).isEqualTo(2);

        fixture.base.clock.advance(Duration.ofMinutes(14));
        PublicClient.Answer locked = device.post(START, OFFICE_TOTP);
        assertThat(locked.status()).isEqualTo(429);
        assertThat(locked.json().path("locked").asBoolean()).isTrue();
        assertThat(Long.parseLong(locked.header("retry-after").orElseThrow())).isBetween(55L, 60L);
        fixture.base.clock.advance(Duration.ofMinutes(1));
        TunnelFixture.check(finish(startTotp(), fixture.code(alice)), 200);
    }

    @Test
    void aSuccessClearsTheUsersAndDevicesFailuresButNotTheAddresss() {
        String attempt = startTotp();
        finish(attempt, wrongCode());
        finish(attempt, wrongCode());
        fixture.base.clock.advance(Duration.ofSeconds(1));

        TunnelFixture.check(finish(attempt, fixture.code(alice)), 200);

        assertThat(fixture.count("SELECT count(*) FROM mfa_failures WHERE key IN (?, ?)", "user:" + userId(),
                "device:" + alice.deviceId())).isZero();
        assertThat(fixture.count("SELECT failures FROM mfa_failures WHERE key = 'address:198.51.100.7'")).isEqualTo(2);
    }

    @Test
    void anExpiredAttemptIs410() {
        String attempt = startTotp();
        fixture.base.clock.advance(Duration.ofMinutes(5));

        PublicClient.Answer late = finish(attempt, fixture.code(alice));
        PublicClient.Answer unknown = finish(AttemptId.mint().reveal(), fixture.code(alice));

        assertThat(late.status()).isEqualTo(410);
        assertThat(late.error()).isEqualTo("This sign-in attempt has ended. Start again.");
        assertThat(unknown.status()).isEqualTo(410);
        assertThat(fixture.count("SELECT count(*) FROM location_peers")).isZero();
    }

    @Test
    void oneUsersLockoutDoesNotLockOthersBehindTheSameAddressUntilItsOwnHigherLimit() throws Exception {
        TunnelFixture.Agent bob = fixture.enroll("bob", "bob-laptop", true, false);
        DeviceClient bobsDevice = fixture.device(bob);
        // Alice's five failures lock her, from the address Bob shares with her (an office NAT, say).
        String attempt = startTotp();
        for (int failure = 1; failure <= 5; failure++) {
            finish(attempt, wrongCode());
            fixture.base.clock.advance(Duration.ofSeconds(5));
        }
        assertThat(device.post(START, OFFICE_TOTP).status()).as("alice is locked").isEqualTo(429);
        fixture.base.clock.advance(Duration.ofSeconds(30)); // past the step of the code Bob confirmed at enrollment

        PublicClient.Answer bobStarted = bobsDevice.post(START, OFFICE_TOTP);
        TunnelFixture.check(bobStarted, 201);
        PublicClient.Answer bobIn = bobsDevice.post(FINISH, "{\"attempt\":\"" + bobStarted.json().path("attempt").asText()
                + "\",\"code\":\"" + fixture.code(bob) + "\"}");
        TunnelFixture.check(bobIn, 200);

        // The address itself locks at its own, higher limit: 30 failures from it, whoever made them.
        assertThat(fixture.count("SELECT failures FROM mfa_failures WHERE key = 'address:198.51.100.7'")).isEqualTo(5);
        assertThat(fixture.count("SELECT count(*) FROM mfa_failures WHERE key = 'address:198.51.100.7' AND locked")).isZero();
    }

    @Test
    void theAddressDelaysStartAfterTenFailuresAndItLocksAtThirty() {
        String address = "address:198.51.100.7";
        assertThat(AttemptLimits.delay(address, 10)).isEqualTo(Duration.ZERO);
        assertThat(AttemptLimits.delay(address, 11)).isEqualTo(Duration.ofSeconds(1));
        assertThat(AttemptLimits.delay(address, 12)).isEqualTo(Duration.ofSeconds(2));
        assertThat(AttemptLimits.delay(address, 29)).isEqualTo(Duration.ofSeconds(60));
        assertThat(AttemptLimits.lockAt(address)).isEqualTo(30);
        assertThat(AttemptLimits.lockAt("user:" + userId())).isEqualTo(5);
        assertThat(AttemptLimits.delay("device:x", 4)).isEqualTo(Duration.ofSeconds(4));
    }

    @Test
    void aGatewaysDeviceEndpointIsWhatTheSessionNamesInsteadOfTheAddressCoreDials() {
        fixture.base.registry.updateSettings("gw-1", new ComponentSettings.Change(Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.of("VPN.example.net")));

        PublicClient.Answer finished = finish(startTotp(), fixture.code(alice));

        TunnelFixture.check(finished, 200);
        assertThat(finished.json().path("session").path("gateways").get(0).path("endpoint").asText())
                .isEqualTo("vpn.example.net:51820");
    }

    @Test
    void anotherDevicesAttemptIs410() throws Exception {
        TunnelFixture.Agent bob = fixture.enroll("bob", "bob-laptop", true, false);
        fixture.base.clock.advance(Duration.ofSeconds(30));
        String attempt = startTotp();

        PublicClient.Answer stolen = fixture.device(bob).post(FINISH, "{\"attempt\":\"" + attempt + "\",\"code\":\""
                + fixture.code(bob) + "\"}");

        assertThat(stolen.status()).isEqualTo(410);
        TunnelFixture.check(finish(attempt, fixture.code(alice)), 200);
    }

    @Test
    void aGatewayThatDoesNotAcknowledgeGets503AndNothingStaysAdmitted() {
        fixture.base.gateway("gw-2", "office", "10.80.0.1/24", "203.0.113.11", 51820, 1420);
        fixture.base.links.behave(fixture.base.registry.byName("gw-2").orElseThrow().record().id(),
                FakeGatewayLinks.Behaviour.SILENT);
        String attempt = startTotp();

        PublicClient.Answer finished = finish(attempt, fixture.code(alice));

        assertThat(finished.status()).isEqualTo(503);
        assertThat(finished.error()).isEqualTo("Gateway 'gw-2' did not confirm the session in time; no key was issued. Try again.");
        assertThat(finished.json().path("gateways").toString()).contains("{\"name\":\"gw-1\",\"acknowledged\":true,\"error\":null}")
                .contains("\"name\":\"gw-2\",\"acknowledged\":false");
        assertThat(finished.body()).doesNotContain("presharedKey");
        assertThat(fixture.count("SELECT count(*) FROM location_peers")).isZero();
        assertThat(fixture.events("tunnel.session.not_admitted")).isEqualTo(1);
        assertThat(fixture.events("tunnel.session.admitted")).isZero();
    }

    @Test
    void concurrentFinishesOfOneAttemptMakeExactlyOneSession() throws Exception {
        String attempt = startTotp();
        String code = fixture.code(alice);
        int finishers = 8;
        ExecutorService threads = Executors.newFixedThreadPool(finishers);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<PublicClient.Answer>> results = new ArrayList<>();
            for (int i = 0; i < finishers; i++) {
                Callable<PublicClient.Answer> call = () -> {
                    go.await();
                    return finish(attempt, code);
                };
                results.add(threads.submit(call));
            }
            go.countDown();
            List<PublicClient.Answer> answers = new ArrayList<>();
            for (Future<PublicClient.Answer> result : results) {
                answers.add(result.get(60, TimeUnit.SECONDS));
            }

            assertThat(answers).filteredOn(a -> a.status() == 200).hasSize(1);
            assertThat(answers).filteredOn(a -> a.status() == 410).hasSize(finishers - 1);
            assertThat(fixture.count("SELECT count(*) FROM location_peers")).isEqualTo(1);
            assertThat(fixture.events("tunnel.session.admitted")).isEqualTo(1);
        } finally {
            threads.shutdownNow();
        }
    }

    // ---- locations, sessions, revoke ------------------------------------------------------------------------------

    @Test
    void listsShowTheLiveSessionWithoutItsKeyAndTheUserCanRevokeIt() {
        JsonNode admitted = finish(startTotp(), fixture.code(alice)).json().path("session");
        String id = admitted.path("id").asText();

        PublicClient.Answer sessions = device.get(START);
        PublicClient.Answer locations = device.get("/api/v1/tunnel/locations");

        TunnelFixture.check(sessions, 200);
        assertThat(sessions.body()).doesNotContain("presharedKey").doesNotContain(admitted.path("presharedKey").asText());
        assertThat(sessions.json().path("sessions")).hasSize(1);
        assertThat(sessions.json().path("sessions").get(0).path("id").asText()).isEqualTo(id);
        assertThat(sessions.json().path("sessions").get(0).path("address").asText()).isEqualTo("10.80.0.2/32");
        JsonNode office = locations.json().path("locations").get(0);
        assertThat(office.path("methods").toString()).isEqualTo("[\"TOTP\",\"WEBAUTHN\"]");
        assertThat(office.path("sessionLifetimeSeconds").asLong()).isEqualTo(28800);
        assertThat(office.path("reauthOnEndpointChange").asBoolean()).isFalse();
        assertThat(office.path("session").path("id").asText()).isEqualTo(id);
        assertThat(locations.body()).doesNotContain("presharedKey");

        PublicClient.Answer revoked = device.delete(START + "/" + id);
        PublicClient.Answer again = device.delete(START + "/" + id);
        PublicClient.Answer garbage = device.delete(START + "/not-a-session");

        assertThat(revoked.status()).isEqualTo(204);
        assertThat(again.status()).isEqualTo(404);
        assertThat(again.error()).isEqualTo("No live session with that id.");
        assertThat(garbage.status()).isEqualTo(404);
        assertThat(fixture.count("SELECT count(*) FROM location_peers")).isZero();
        assertThat(device.get(START).json().path("sessions")).isEmpty();
    }

    @Test
    void anotherUsersSessionCannotBeRevoked() throws Exception {
        String id = finish(startTotp(), fixture.code(alice)).json().path("session").path("id").asText();
        TunnelFixture.Agent bob = fixture.enroll("bob", "bob-laptop", true, false);

        PublicClient.Answer refused = fixture.device(bob).delete(START + "/" + id);

        assertThat(refused.status()).isEqualTo(404);
        assertThat(fixture.count("SELECT count(*) FROM location_peers")).isEqualTo(1);
    }

    // ---- secrets ----------------------------------------------------------------------------------------------------

    @Test
    void noCodeKeyOrAttemptIdReachesAnyLogLineOrAuditRecord() {
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        logs.start();
        root.addAppender(logs);
        List<String> secrets = new ArrayList<>(List.of(alice.totpSecret()));
        try {
            String attempt = startTotp();
            String wrong = wrongCode();
            finish(attempt, wrong);
            String code = fixture.code(alice);
            PublicClient.Answer finished = finish(attempt, code);
            TunnelFixture.check(finished, 200);
            secrets.addAll(List.of(attempt, wrong, code, finished.json().path("session").path("presharedKey").asText()));
        } finally {
            root.detachAppender(logs);
        }
        List<String> lines = logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        List<String> audit = fixture.audit();
        assertThat(lines).isNotEmpty().anyMatch(l -> l.startsWith("action=tunnel.session.admitted"));
        for (String secret : secrets) {
            assertThat(lines).noneMatch(l -> l.contains(secret));
            assertThat(audit).noneMatch(l -> l.contains(secret));
        }
    }

    private String userId() {
        return fixture.base.users.list().stream().filter(u -> u.name().equals("alice")).findFirst().orElseThrow().id();
    }
}
