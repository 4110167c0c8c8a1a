package dev.portcullis.compliance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * No second factor, no tunnel — end to end on real processes: core with embedded PostgreSQL and
 * edge-proxy (the quickstart deployment), a gateway with wireguard-go in its namespace, and
 * {@code portcullis-agent} as a process in a device namespace (see {@link TunnelLab} for the
 * network). The user's authenticator app is Debian's {@code oathtool}.
 * <p>
 * Order matters: the tests walk one user's day — tunnel up with a code, revoked within a second,
 * a wrong code. Replay, lockout and the expiry the gateway enforces with core stopped are evidence
 * checks PC-09 to PC-11 of the compliance suite ({@link ComplianceEvidenceTest}, on a segmented
 * deployment), shown to fail when broken ({@link BrokenControlsTest}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(SharedEnrollmentDeployment.class)
class TunnelSessionTest {

    private static final String LOCATION = "tunnel-e2e";
    private static final String USER = "carol";

    private EnrollmentDeployment deployment;
    private TunnelLab lab;
    private TunnelLab.Device laptop;
    private String totpSecret;
    private Oathtool.Codes codes;
    private String deviceKey;

    @BeforeAll
    void setUp(EnrollmentDeployment shared) throws Exception {
        deployment = shared;
        lab = new TunnelLab(deployment, 2, LOCATION, "tunnel-staff", "--mfa", "totp");
        deployment.addUser(USER, "carol@example.com", "Carol Example", "--group", "tunnel-staff");
        Path state = deployment.work.resolve("agent-" + USER);
        EnrollmentDeployment.Invite invite = deployment.invite(USER);
        AgentProcess.Result enrolled = AgentProcess.enroll(state, invite.link(), "correct horse battery staple 7",
                "carol-laptop");
        assertThat(enrolled.exitCode()).as(enrolled.output()).isZero();
        totpSecret = enrolled.totpSecret();
        assertThat(totpSecret).as("the TOTP secret the agent showed").isNotNull();
        codes = new Oathtool.Codes(totpSecret, Oathtool.step()); // enrollment confirmed a code of this step (or the one before)
        laptop = lab.device("dev", state);
        deviceKey = publicKeyOf(state);
    }

    @AfterAll
    void tearDown() throws Exception {
        if (lab != null) {
            if (laptop != null) {
                lab.agent(laptop, "", "down", LOCATION);
            }
            lab.close();
        }
    }

    @Test
    @Order(1)
    void upWithATotpCodeBringsTheTunnelUpForPingAndTcp() throws Exception {
        assertThat(lab.gatewayPeers()).as("before MFA the device is no peer of the gateway").doesNotContain(deviceKey);

        AgentProcess.Result up = up(codes.next());
        assertThat(up.exitCode()).as(up.output() + lab.logTails()).isZero();
        assertThat(lab.gatewayPeers()).as("after MFA the gateway has the device as a peer").contains(deviceKey);

        lab.awaitReachable(laptop, Duration.ofSeconds(15));
        assertThat(lab.httpGet(laptop)).as("TCP (HTTP) through the tunnel to the service behind the gateway").isTrue();

        String presharedKey = lab.net.exec(lab.gw, "wg", "show", lab.gatewayInterface, "preshared-keys");
        assertThat(presharedKey).as("the device's peer has a preshared key").contains(deviceKey).doesNotContain("(none)");

        AgentProcess.Result status = lab.agent(laptop, "", "status");
        assertThat(status.exitCode()).as(status.output()).isZero();
        assertThat(status.stdout()).contains(LOCATION);
    }

    @Test
    @Order(2)
    void revokingTheSessionStopsTrafficWithinOneSecond() throws Exception {
        lab.awaitReachable(laptop, Duration.ofSeconds(15));
        String session = liveSessionId();

        // A continuous ping with timestamps; the last reply before the revocation's effect is read back.
        Process ping = new ProcessBuilder("ip", "netns", "exec", laptop.ns(), "ping", "-D", "-n", "-i", "0.05", "-w", "6",
                lab.service).redirectErrorStream(true).start();
        List<Double> replies = new ArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(ping.getInputStream(), StandardCharsets.UTF_8))) {
                Pattern reply = Pattern.compile("^\\[(\\d+\\.\\d+)\\] \\d+ bytes from");
                String line;
                while ((line = lines.readLine()) != null) {
                    Matcher m = reply.matcher(line);
                    if (m.find()) {
                        synchronized (replies) {
                            replies.add(Double.parseDouble(m.group(1)));
                        }
                    }
                }
            } catch (java.io.IOException e) {
                // ping ended
            }
        });
        reader.start();
        EnrollmentDeployment.await("replies flowing before the revocation", Duration.ofSeconds(5), () -> {
            synchronized (replies) {
                return replies.size() >= 5;
            }
        });

        double revokedAt = Instant.now().toEpochMilli() / 1000.0;
        AdminHttp.Reply revoked = deployment.adminHttp().delete("/api/v1/sessions/" + session);
        assertThat(revoked.status()).as(String.valueOf(revoked.body())).isEqualTo(200);

        assertThat(ping.waitFor(15, TimeUnit.SECONDS)).isTrue();
        reader.join(5_000);
        double lastReply;
        synchronized (replies) {
            lastReply = replies.get(replies.size() - 1);
        }
        System.out.printf("revocation → last reply through the tunnel: %.0f ms%n", (lastReply - revokedAt) * 1000);
        assertThat(lastReply - revokedAt).as("seconds from the revocation to the last reply through the tunnel")
                .isLessThan(1.0);
        assertThat(lab.gatewayPeers()).as("the revoked session's peer is gone from the gateway").doesNotContain(deviceKey);
        assertThat(lab.ping(laptop, 1)).isFalse();
        assertThat(auditActions()).contains("tunnel.session.evicted");
    }

    @Test
    @Order(3)
    void aWrongCodeAdmitsNothingAndTheGatewayStaysSilent() throws Exception {
        lab.agent(laptop, "", "down", LOCATION);
        AgentProcess.Result up = up(wrong(Oathtool.totp(totpSecret)));
        assertThat(up.exitCode()).as(up.output()).isNotZero();
        assertThat(up.stderr() + up.stdout()).containsIgnoringCase("did not match");
        assertThat(lab.gatewayPeers()).as("no peer for a device whose user failed MFA").doesNotContain(deviceKey);

        long handshake = lab.handshakeWithoutSession(laptop, "wgx" + lab.k, "10." + (80 + lab.k) + ".0.200/32");
        assertThat(handshake).as("the gateway never answered the device's handshakes").isZero();
    }

    // ---- helpers ---------------------------------------------------------------------------------------

    private AgentProcess.Result up(String code) throws Exception {
        return lab.agent(laptop, code + "\n", "up", LOCATION, "--code", "-");
    }

    /** A six-digit code that is not {@code right}. */
    private static String wrong(String right) {
        return String.format("%06d", (Integer.parseInt(right) + 500_000) % 1_000_000);
    }

    private JsonNode liveSession() throws Exception {
        AdminHttp.Reply sessions = deployment.adminHttp().get("/api/v1/sessions?user=" + USER);
        assertThat(sessions.status()).as(String.valueOf(sessions.body())).isEqualTo(200);
        JsonNode list = sessions.body().has("sessions") ? sessions.body().get("sessions") : sessions.body();
        for (JsonNode session : list) {
            if (LOCATION.equals(session.path("location").asText())) {
                return session;
            }
        }
        throw new AssertionError("no live session of " + USER + " at " + LOCATION + ": " + sessions.body());
    }

    private String liveSessionId() throws Exception {
        return liveSession().path("id").asText();
    }

    /** The actions of the audit records about this user or device (JSON lines from the admin API). */
    private List<String> auditActions() throws Exception {
        List<String> actions = new ArrayList<>();
        for (JsonNode record : deployment.auditRecords()) {
            if (record.toString().contains(USER)) {
                actions.add(record.path("action").asText());
            }
        }
        return actions;
    }

    private static String publicKeyOf(Path state) throws Exception {
        JsonNode enrollment = EnrollmentDeployment.JSON.readTree(Files.readString(state.resolve("enrollment.json")));
        String key = enrollment.path("wireguardPublicKey").asText(null);
        assertThat(key).as("the device's WireGuard public key in enrollment.json: " + enrollment).isNotNull();
        return key;
    }
}
