package dev.portcullis.core.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcullis.core.enroll.PublicClient;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The WebAuthn browser hand-off of SESSION-API.md with a software authenticator, on real PostgreSQL. */
class TunnelWebAuthnTest {

    private static final String START = "/api/v1/tunnel/sessions";
    private static final String FINISH = "/api/v1/tunnel/sessions/finish";
    private static final String OPTIONS = "/api/v1/tunnel/webauthn/options";
    private static final String BROWSER_FINISH = "/api/v1/tunnel/webauthn/finish";

    private final TunnelFixture fixture = new TunnelFixture();
    private TunnelFixture.Agent alice;
    private DeviceClient device;

    @BeforeEach
    void setUp() throws Exception {
        fixture.base.location("office", "10.80.0.0/24", List.of("webauthn"), List.of());
        fixture.base.gateway("gw-1", "office", "10.80.0.1/24", "203.0.113.10", 51820, 1420);
        alice = fixture.enroll("alice", "alice-laptop", false, true);
        device = fixture.device(alice);
    }

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    /** Starts a WebAuthn attempt; returns the attempt id and the hand-off token from the browser link. */
    private String[] start() {
        PublicClient.Answer started = device.post(START, "{\"location\":\"office\",\"method\":\"webauthn\"}");
        TunnelFixture.check(started, 201);
        String url = started.json().path("browserUrl").asText();
        assertThat(url).startsWith(TunnelFixture.ORIGIN + "/mfa/");
        return new String[] {started.json().path("attempt").asText(), url.substring(url.lastIndexOf('/') + 1)};
    }

    private PublicClient.Answer agentFinish(String attempt) {
        return device.post(FINISH, "{\"attempt\":\"" + attempt + "\"}");
    }

    private PublicClient.Answer assertInBrowser(String token) throws Exception {
        PublicClient browser = fixture.browser();
        PublicClient.Answer options = browser.post(OPTIONS, "{\"token\":\"" + token + "\"}");
        TunnelFixture.check(options, 200);
        return browser.post(BROWSER_FINISH, "{\"token\":\"" + token + "\",\"credential\":"
                + alice.securityKey().authenticate(options.body()) + "}");
    }

    @Test
    void theBrowserAssertsAndTheAgentsNextFinishAdmits() throws Exception {
        String[] started = start();
        PublicClient.Answer waiting = agentFinish(started[0]);
        PublicClient.Answer options = fixture.browser().post(OPTIONS, "{\"token\":\"" + started[1] + "\"}");
        alice.securityKey().counter = 1;

        PublicClient.Answer asserted = fixture.browser().post(BROWSER_FINISH, "{\"token\":\"" + started[1] + "\",\"credential\":"
                + alice.securityKey().authenticate(options.body()) + "}");
        PublicClient.Answer admitted = agentFinish(started[0]);

        assertThat(waiting.status()).isEqualTo(202);
        assertThat(waiting.json().path("status").asText()).isEqualTo("waiting");
        TunnelFixture.check(options, 200);
        JsonNode body = options.json();
        assertThat(body.path("user").asText()).isEqualTo("alice");
        assertThat(body.path("location").asText()).isEqualTo("office");
        assertThat(body.path("device").asText()).isEqualTo("alice-laptop");
        assertThat(body.path("publicKey").path("rpId").asText()).isEqualTo("access.example.com");
        assertThat(body.path("publicKey").path("userVerification").asText()).isEqualTo("required");
        assertThat(body.path("publicKey").path("challenge").asText()).isNotEmpty();
        assertThat(asserted.status()).as(asserted.body()).isEqualTo(204);
        TunnelFixture.check(admitted, 200);
        assertThat(admitted.json().path("session").path("method").asText()).isEqualTo("WEBAUTHN");
        assertThat(admitted.json().path("session").path("presharedKey").asText()).hasSize(44);
        assertThat(fixture.count("SELECT signature_count FROM webauthn_credentials")).isEqualTo(1);
        assertThat(fixture.count("SELECT count(*) FROM location_peers WHERE mfa_method = 'WEBAUTHN'")).isEqualTo(1);
        assertThat(fixture.events("tunnel.mfa.succeeded")).isEqualTo(1);
        assertThat(fixture.events("tunnel.session.admitted")).isEqualTo(1);
        PublicClient.Answer reused = fixture.browser().post(OPTIONS, "{\"token\":\"" + started[1] + "\"}");
        assertThat(reused.status()).as("the hand-off token works once").isEqualTo(404);
        assertThat(reused.error()).isEqualTo("This sign-in link is not valid any more. Start again from your device.");
    }

    @Test
    void aSignatureCounterThatWentBackwardsIsRefusedAndCounted() throws Exception {
        alice.securityKey().counter = 5;
        String[] first = start();
        assertThat(assertInBrowser(first[1]).status()).isEqualTo(204);
        TunnelFixture.check(agentFinish(first[0]), 200);

        alice.securityKey().counter = 3;
        String[] second = start();
        PublicClient.Answer cloned = assertInBrowser(second[1]);

        assertThat(cloned.status()).isEqualTo(400);
        assertThat(cloned.error()).isEqualTo("Your security key was not accepted.");
        assertThat(agentFinish(second[0]).status()).as("still waiting: nothing asserted").isEqualTo(202);
        assertThat(fixture.count("SELECT failures FROM mfa_failures WHERE key LIKE 'user:%'")).isEqualTo(1);
        assertThat(fixture.audit()).filteredOn(l -> l.contains("action=tunnel.mfa.failed"))
                .singleElement().asString().contains("webauthn_rejected").contains("counter_not_increased");
        assertThat(fixture.count("SELECT signature_count FROM webauthn_credentials")).isEqualTo(5);
    }

    @Test
    void aWrongKeyOrAnOtherSitesOriginIsRefused() throws Exception {
        String[] started = start();
        PublicClient.Answer foreign = new PublicClient(fixture.api, fixture.base.edge, "https://evil.example.net", "203.0.113.50")
                .post(OPTIONS, "{\"token\":\"" + started[1] + "\"}");
        PublicClient.Answer unknown = fixture.browser().post(OPTIONS, "{\"token\":\"" + HandoffToken.mint().reveal() + "\"}");
        PublicClient browser = fixture.browser();
        PublicClient.Answer options = browser.post(OPTIONS, "{\"token\":\"" + started[1] + "\"}");
        dev.portcullis.enrollment.webauthn.SoftwareAuthenticator other =
                new dev.portcullis.enrollment.webauthn.SoftwareAuthenticator(TunnelFixture.ORIGIN);
        other.register("{\"publicKey\":{\"rp\":{\"id\":\"access.example.com\"},\"user\":{\"id\":\"AAAA\"},\"challenge\":\"AAAA\"}}");
        PublicClient.Answer wrongKey = browser.post(BROWSER_FINISH, "{\"token\":\"" + started[1] + "\",\"credential\":"
                + other.authenticate(options.body()) + "}");

        assertThat(foreign.status()).isEqualTo(403);
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(wrongKey.status()).isEqualTo(400);
        assertThat(fixture.count("SELECT count(*) FROM mfa_failures")).isEqualTo(3);
    }

    @Test
    void anExpiredAttemptIs410AndItsLinkIsDead() {
        String[] started = start();
        fixture.base.clock.advance(Duration.ofMinutes(5));

        assertThat(agentFinish(started[0]).status()).isEqualTo(410);
        assertThat(fixture.browser().post(OPTIONS, "{\"token\":\"" + started[1] + "\"}").status()).isEqualTo(404);
    }
}
