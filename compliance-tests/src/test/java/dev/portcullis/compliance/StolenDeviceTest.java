package dev.portcullis.compliance;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The stolen laptop: everything on the device's disk — its WireGuard private key, its device
 * credential and its enrollment record — copied to a second machine (namespace), without the
 * user's second factor. The thief's agent is refused, and a hand-made WireGuard configuration with
 * the stolen key gets no handshake from the gateway, even while the owner's own session is live.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(SharedEnrollmentDeployment.class)
class StolenDeviceTest {

    private static final String LOCATION = "stolen-e2e";
    private static final String USER = "dave";
    /** What is on a laptop's disk after enrollment (a session's own file is not: see the second test). */
    private static final List<String> KEY_MATERIAL = List.of("wireguard.key", "device-credential.pem", "enrollment.json");

    private TunnelLab lab;
    private TunnelLab.Device owner;
    private TunnelLab.Device thief;
    private String totpSecret;
    private long enrolledAtStep;

    @BeforeAll
    void setUp(EnrollmentDeployment deployment) throws Exception {
        lab = new TunnelLab(deployment, 3, LOCATION, "stolen-staff", "--mfa", "totp");
        deployment.addUser(USER, "dave@example.com", "Dave Example", "--group", "stolen-staff");
        Path ownerState = deployment.work.resolve("agent-" + USER);
        AgentProcess.Result enrolled = AgentProcess.enroll(ownerState, deployment.invite(USER).link(),
                "correct horse battery staple 8", "dave-laptop");
        assertThat(enrolled.exitCode()).as(enrolled.output()).isZero();
        totpSecret = enrolled.totpSecret();
        enrolledAtStep = Oathtool.step();
        owner = lab.device("owner", ownerState);

        Path thiefState = deployment.work.resolve("thief-of-" + USER);
        Files.createDirectories(thiefState);
        Files.setPosixFilePermissions(thiefState, PosixFilePermissions.fromString("rwx------"));
        for (String name : KEY_MATERIAL) {
            Files.copy(ownerState.resolve(name), thiefState.resolve(name));
        }
        thief = lab.device("thief", thiefState);
    }

    @AfterAll
    void tearDown() throws Exception {
        if (lab != null) {
            if (owner != null) {
                lab.agent(owner, "", "down", LOCATION);
            }
            lab.close();
        }
    }

    @Test
    void stolenKeyMaterialWithoutTheSecondFactorGetsNoTunnel() throws Exception {
        String deviceKey = publicKey();

        AgentProcess.Result noCode = lab.agent(thief, "\n", "up", LOCATION, "--code", "-");
        assertThat(noCode.exitCode()).as("no code: " + noCode.output()).isNotZero();
        AgentProcess.Result guessed = lab.agent(thief, "123456\n", "up", LOCATION, "--code", "-");
        assertThat(guessed.exitCode()).as("a guessed code: " + guessed.output()).isNotZero();
        assertThat(lab.gatewayPeers()).as("the stolen device is no peer of the gateway").doesNotContain(deviceKey);
        assertThat(lab.handshakeWithoutSession(thief, "wgs" + lab.k, "10.83.0.201/32"))
                .as("the gateway never answers the stolen key's handshakes").isZero();

        // The owner, with the second factor, still gets the tunnel; the thief still does not.
        AgentProcess.Result up = lab.agent(owner, new Oathtool.Codes(totpSecret, enrolledAtStep).next() + "\n", "up",
                LOCATION, "--code", "-");
        assertThat(up.exitCode()).as(up.output() + lab.logTails()).isZero();
        lab.awaitReachable(owner, Duration.ofSeconds(15));
        assertThat(lab.handshakeWithoutSession(thief, "wgs" + lab.k, "10.83.0.201/32"))
                .as("without the session's preshared key the stolen key gets no handshake, even while the owner is connected")
                .isZero();
    }

    private String publicKey() throws Exception {
        return EnrollmentDeployment.JSON.readTree(Files.readString(owner.state().resolve("enrollment.json")))
                .path("wireguardPublicKey").asText();
    }
}
