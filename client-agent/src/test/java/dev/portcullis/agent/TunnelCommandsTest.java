package dev.portcullis.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tunnel commands against a fake core over real HTTPS that verifies every device signature.
 * These paths end before a WireGuard interface is touched; {@link TunnelNamespaceTest} covers the rest.
 */
@Timeout(60)
class TunnelCommandsTest {

    @TempDir
    Path home;

    private FakeCore core;

    @BeforeEach
    void start() throws Exception {
        core = new FakeCore();
        core.enroll(home);
    }

    @AfterEach
    void stop() {
        core.close();
    }

    private AgentRun agent(String stdin, String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "--state-dir";
        all[1] = home.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        return AgentRun.run(home, stdin, all);
    }

    @Test
    void locationsListsWhatCoreOffersOverSignedRequests() throws Exception {
        AgentRun run = agent("", "locations");

        assertThat(run.exitCode()).as(run.all()).isZero();
        assertThat(run.stdout()).contains("LOCATION").contains("office").contains("totp,webauthn").contains("8h").contains("10.80.0.2/32");
        AgentRun json = agent("", "locations", "--json");
        JsonNode parsed = new ObjectMapper().readTree(json.stdout());
        assertThat(parsed.path("locations").get(0).path("name").asText()).isEqualTo("office");
        assertThat(core.requests()).containsOnly("GET /api/v1/tunnel/locations");
        assertThat(core.rejected()).isEmpty();
    }

    @Test
    void aWrongCodeSaysHowManyAttemptsAreLeftAndAsksAgainThreeTimesAtMost() {
        AgentRun run = agent("000000\n111111\n222222\n333333\n", "up", "office", "--method", "totp", "--no-keeper");

        assertThat(run.exitCode()).as(run.all()).isEqualTo(2);
        assertThat(run.all()).contains("That code did not match. 4 attempts left.")
                .contains("That code did not match. 3 attempts left.")
                .contains("That code did not match (2 attempts left; run portcullis-agent up office again)");
        assertThat(run.stderr().split("TOTP code for office", -1)).hasSize(4);
        assertThat(core.requests()).filteredOn(r -> r.endsWith("/finish")).hasSize(3);
        assertThat(core.rejected()).isEmpty();
    }

    @Test
    void aCodeFromStdinIsOneAttempt() {
        AgentRun run = agent("000000\n", "up", "office", "--code", "-", "--no-keeper");

        assertThat(run.exitCode()).as(run.all()).isEqualTo(2);
        assertThat(run.stderr()).contains("That code did not match (4 attempts left");
        assertThat(core.requests()).filteredOn(r -> r.endsWith("/finish")).hasSize(1);
    }

    @Test
    void tooManyAttemptsSaysWhenToTryAgain() {
        core.finishStatus(429);

        AgentRun run = agent(FakeCore.GOOD_CODE + "\n", "up", "office", "--no-keeper");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.stderr()).contains("Too many failed attempts. Try again in 30 seconds. (try again in 30 s)");
    }

    @Test
    void anEndedAttemptSaysStartAgain() {
        core.finishStatus(410);

        AgentRun run = agent(FakeCore.GOOD_CODE + "\n", "up", "office", "--no-keeper");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.stderr()).contains("This sign-in attempt has ended. Start again.");
    }

    @Test
    void aGatewayThatDidNotConfirmIsNamedAndNothingIsConfigured() {
        core.finishStatus(503);

        AgentRun run = agent(FakeCore.GOOD_CODE + "\n", "up", "office", "--no-keeper");

        assertThat(run.exitCode()).isEqualTo(5);
        assertThat(run.stderr()).contains("Gateway 'gw-1' did not confirm the session in time; no key was issued. Try again.");
        assertThat(run.all()).doesNotContain("Configuring WireGuard");
        assertThat(home.resolve("sessions").resolve("office.json")).doesNotExist();
    }

    @Test
    void anUnknownLocationIsRefusedBeforeAnyAttempt() {
        AgentRun run = agent("", "up", "warehouse", "--no-keeper");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.stderr()).contains("No location 'warehouse' for this device.");
        assertThat(core.requests()).containsExactly("GET /api/v1/tunnel/locations");
    }

    @Test
    void anUnreachableProxyIsANetworkErrorWithItsOwnExitCode() {
        core.close();

        AgentRun up = agent(FakeCore.GOOD_CODE + "\n", "up", "office", "--no-keeper");
        AgentRun locations = agent("", "locations");

        assertThat(up.exitCode()).isEqualTo(5);
        assertThat(up.stderr()).contains("cannot connect to " + core.origin());
        assertThat(locations.exitCode()).isEqualTo(5);
    }

    @Test
    void sessionsListsTheUsersLiveSessionsWithoutKeys() throws Exception {
        AgentRun empty = agent("", "sessions");
        assertThat(empty.stdout()).contains("No live tunnel sessions.");
        core.onAdmit(live -> { });
        // A session started elsewhere (the user's other device, say): finish through the API directly is not needed;
        // the fake's list shows what it holds.
        AgentRun run = agent("", "sessions", "--json");

        assertThat(run.exitCode()).isZero();
        assertThat(new ObjectMapper().readTree(run.stdout()).path("sessions")).isEmpty();
    }

    @Test
    void exportWithoutALiveSessionRefusesClearly() {
        AgentRun run = agent("", "export", "office");

        assertThat(run.exitCode()).isEqualTo(7);
        assertThat(run.stderr()).contains("no live session to office on this device; start one with: portcullis-agent up office");
    }

    @Test
    void downWithNothingUpSaysSo() {
        AgentRun run = agent("", "down");

        assertThat(run.exitCode()).isEqualTo(7);
        assertThat(run.stderr()).contains("no tunnel is up on this device");
    }

    @Test
    void aLocationNameThatIsNotAFileNameIsAUsageError() {
        AgentRun run = agent("", "up", "../etc", "--no-keeper");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(core.requests()).isEmpty();
    }

    @Test
    void aCodeOnTheCommandLineIsRefused() {
        AgentRun run = agent("", "up", "office", "--code", "123456");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.stderr()).contains("--code takes only '-'");
        assertThat(core.requests()).isEmpty();
    }

    @Test
    void helpListsTheTunnelCommandsAndExitCodes() {
        AgentRun run = AgentRun.run(home, "", "--help");

        assertThat(run.stdout()).contains("locations").contains("up").contains("down").contains("sessions").contains("export")
                .contains("  7").contains("  8");
        assertThat(AgentRun.run(home, "", "up", "--help").stdout()).contains("--method").contains("--code-file")
                .contains("Exit codes:");
    }
}
