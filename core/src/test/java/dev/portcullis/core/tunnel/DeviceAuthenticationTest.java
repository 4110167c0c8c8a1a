package dev.portcullis.core.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.portcullis.core.enroll.EnrollmentFixture;
import dev.portcullis.core.enroll.PublicClient;
import dev.portcullis.protocol.v1.ProxyRequest;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Device authentication of /api/v1/tunnel/* as SESSION-API.md specifies it, against real PostgreSQL. */
class DeviceAuthenticationTest {

    private static final String NEUTRAL = "{\"error\":\"This device is not recognised. Enroll it again with a new invite.\"}";
    private static final String START = "/api/v1/tunnel/sessions";
    private static final String START_BODY = "{\"location\":\"office\",\"method\":\"totp\"}";

    private final TunnelFixture fixture = new TunnelFixture();
    private TunnelFixture.Agent alice;
    private DeviceClient device;

    @BeforeEach
    void setUp() throws Exception {
        fixture.base.location("office", "10.80.0.0/24", List.of("totp", "webauthn"), List.of());
        fixture.base.gateway("gw-1", "office", "10.80.0.1/24", "203.0.113.10", 51820, 1420);
        alice = fixture.enroll("alice", "alice-laptop", true, false);
        device = fixture.device(alice);
    }

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    @Test
    void aValidSignatureIsAccepted() {
        PublicClient.Answer answer = device.get("/api/v1/tunnel/locations");

        assertThat(answer.status()).as(answer.body()).isEqualTo(200);
        assertThat(answer.json().path("locations").get(0).path("name").asText()).isEqualTo("office");
        assertThat(answer.json().path("locations").get(0).path("address").asText()).isEqualTo("10.80.0.2/32");
    }

    @Test
    void aTamperedBodyPathOrTimeIsRefusedWithTheNeutralAnswer() {
        long now = fixture.base.clock.millis();
        ProxyRequest signed = device.signed("POST", START, START_BODY, now, alice.credential().getPrivate());
        String header = signed.getHeaders(1).getValue();

        ProxyRequest otherBody = signed.toBuilder()
                .setBody(ByteString.copyFrom("{\"location\":\"vault\",\"method\":\"totp\"}", StandardCharsets.UTF_8)).build();
        ProxyRequest otherPath = signed.toBuilder().setPath(START + "/finish").build();
        ProxyRequest otherQuery = signed.toBuilder().setPath(START + "?x=1").build();
        ProxyRequest otherMethod = signed.toBuilder().setMethod("GET").build();
        ProxyRequest otherTime = signed.toBuilder().setHeaders(1, DeviceClient.header("x-portcullis-device-auth",
                header.replace("time=" + now, "time=" + (now + 1)))).build();

        for (ProxyRequest tampered : List.of(otherBody, otherPath, otherQuery, otherMethod, otherTime)) {
            PublicClient.Answer answer = device.send(tampered);
            assertThat(answer.status()).as(tampered.getPath()).isEqualTo(401);
            assertThat(answer.body()).isEqualTo(NEUTRAL);
        }
        assertThat(fixture.count("SELECT count(*) FROM mfa_attempts")).isZero();
    }

    @Test
    void aSignatureByAnotherKeyIsRefused() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));

        PublicClient.Answer answer = device.send(device.signed("GET", "/api/v1/tunnel/locations", null,
                fixture.base.clock.millis(), generator.generateKeyPair().getPrivate()));

        assertThat(answer.status()).isEqualTo(401);
        assertThat(answer.body()).isEqualTo(NEUTRAL);
    }

    @Test
    void aMissingOrMalformedHeaderAndAnUnknownDeviceAreRefused() {
        ProxyRequest signed = device.signed("GET", "/api/v1/tunnel/locations", null, fixture.base.clock.millis(),
                alice.credential().getPrivate());
        String header = signed.getHeaders(0).getValue();

        List<ProxyRequest> refused = List.of(
                signed.toBuilder().clearHeaders().build(),
                signed.toBuilder().setHeaders(0, DeviceClient.header("x-portcullis-device-auth", "v2" + header.substring(2))).build(),
                signed.toBuilder().setHeaders(0, DeviceClient.header("x-portcullis-device-auth",
                        header.replace(alice.deviceId().toString(), UUID.randomUUID().toString()))).build(),
                signed.toBuilder().setHeaders(0, DeviceClient.header("x-portcullis-device-auth", header + "x".repeat(600))).build());

        for (ProxyRequest request : refused) {
            PublicClient.Answer answer = device.send(request);
            assertThat(answer.status()).isEqualTo(401);
            assertThat(answer.body()).isEqualTo(NEUTRAL);
        }
    }

    @Test
    void aDisabledDeviceOrUserIsRefused() {
        fixture.base.devices.disable("alice", "alice-laptop", EnrollmentFixture.ADMIN);
        PublicClient.Answer deviceDisabled = device.get("/api/v1/tunnel/locations");
        fixture.base.devices.enable("alice", "alice-laptop", EnrollmentFixture.ADMIN);
        assertThat(device.get("/api/v1/tunnel/locations").status()).isEqualTo(200);
        fixture.base.users.disable("alice", EnrollmentFixture.ADMIN);
        PublicClient.Answer userDisabled = device.get("/api/v1/tunnel/locations");

        assertThat(deviceDisabled.status()).isEqualTo(401);
        assertThat(deviceDisabled.body()).isEqualTo(NEUTRAL);
        assertThat(userDisabled.status()).isEqualTo(401);
        assertThat(userDisabled.body()).isEqualTo(NEUTRAL);
    }

    @Test
    void aConfigDeviceHasNoCredentialAndIsRefused() throws Exception {
        fixture.base.user("bob");
        PublicClient browser = fixture.base.redeemed("bob");
        PublicClient.Answer config = browser.post("/api/v1/enroll/devices", "{\"name\":\"bob-phone\",\"wireguardPublicKey\":\""
                + EnrollmentFixture.randomKey().base64() + "\",\"credentialPublicKey\":null,\"kind\":\"config\"}");
        TunnelFixture.check(config, 201);
        fixture.base.database.inTransaction(c -> c.createStatement().executeUpdate("UPDATE users SET state = 'ACTIVE'"));
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        DeviceClient configDevice = new DeviceClient(fixture.api, fixture.base.edge,
                UUID.fromString(config.json().path("device").path("id").asText()), generator.generateKeyPair().getPrivate(),
                fixture.base.clock, "198.51.100.8");

        PublicClient.Answer answer = configDevice.get("/api/v1/tunnel/locations");

        assertThat(answer.status()).isEqualTo(401);
        assertThat(answer.body()).isEqualTo(NEUTRAL);
    }

    @Test
    void aClockMoreThanTwoMinutesOffGetsItsOwnAnswer() {
        long now = fixture.base.clock.millis();
        PublicClient.Answer early = device.send(device.signed("GET", "/api/v1/tunnel/locations", null,
                now - Duration.ofSeconds(121).toMillis(), alice.credential().getPrivate()));
        PublicClient.Answer late = device.send(device.signed("GET", "/api/v1/tunnel/locations", null,
                now + Duration.ofSeconds(121).toMillis(), alice.credential().getPrivate()));
        PublicClient.Answer withinSkew = device.send(device.signed("GET", "/api/v1/tunnel/locations", null,
                now - Duration.ofSeconds(119).toMillis(), alice.credential().getPrivate()));

        assertThat(early.status()).isEqualTo(401);
        assertThat(early.error()).isEqualTo("The device's clock is more than 2 minutes off. Correct it and try again.");
        assertThat(late.status()).isEqualTo(401);
        assertThat(late.error()).isEqualTo(early.error());
        assertThat(withinSkew.status()).isEqualTo(200);
    }

    @Test
    void aReplayedSignatureIsRefusedEvenWithinTheSkew() {
        ProxyRequest request = device.signed("POST", START, START_BODY, fixture.base.clock.millis(),
                alice.credential().getPrivate());

        PublicClient.Answer first = device.send(request);
        fixture.base.clock.advance(Duration.ofSeconds(30));
        PublicClient.Answer replayed = device.send(request);

        assertThat(first.status()).as(first.body()).isEqualTo(201);
        assertThat(replayed.status()).isEqualTo(401);
        assertThat(replayed.body()).isEqualTo(NEUTRAL);
        assertThat(fixture.events("tunnel.mfa.started")).isEqualTo(1);
    }

    @Test
    void theReplayCacheIsBoundedPerDeviceAndForgetsAfterFiveMinutes() {
        ReplayCache cache = new ReplayCache(fixture.base.clock, 2, 3);
        UUID one = UUID.randomUUID();
        UUID two = UUID.randomUUID();

        assertThat(cache.accept(one, new byte[] {1})).isEqualTo(ReplayCache.Verdict.FIRST_USE);
        assertThat(cache.accept(one, new byte[] {1})).isEqualTo(ReplayCache.Verdict.REPLAYED);
        assertThat(cache.accept(one, new byte[] {2})).isEqualTo(ReplayCache.Verdict.FIRST_USE);
        assertThat(cache.accept(one, new byte[] {3})).as("per-device bound").isEqualTo(ReplayCache.Verdict.FULL);
        assertThat(cache.accept(two, new byte[] {4})).isEqualTo(ReplayCache.Verdict.FIRST_USE);
        assertThat(cache.accept(two, new byte[] {5})).as("total bound").isEqualTo(ReplayCache.Verdict.FULL);
        fixture.base.clock.advance(ReplayCache.WINDOW);
        assertThat(cache.size()).isEqualTo(3);
        assertThat(cache.accept(one, new byte[] {1})).as("forgotten after the window").isEqualTo(ReplayCache.Verdict.FIRST_USE);
        assertThat(cache.size()).isEqualTo(1);
    }
}
