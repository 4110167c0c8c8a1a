package dev.portcullis.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class GatewayMainTest {

    @TempDir
    Path stateDir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @Test
    void helpPrintsUsageAndExitsZero() {
        int status = run(Map.of(), "--help");

        assertThat(status).isZero();
        assertThat(out.toString()).contains("Usage: portcullis-gateway", "--control-listen", "--health-listen", "--state-dir",
                "--join-token", "--join-token-file", "PORTCULLIS_JOIN_TOKEN", "127.0.0.1:7444", "127.0.0.1:9444",
                "./.portcullis/gateway", "3 revoked by core", "--wg-interface", "pcgw0", "--wg-listen-port", "51820",
                "--wg-implementation", "auto|userspace|kernel");
    }

    @Test
    void aMissingJoinTokenOnAComponentNotYetAdoptedFailsWithTheActionableMessage() {
        int status = run(Map.of(), "--state-dir", stateDir.toString(), "--control-listen", "127.0.0.1:0", "--health-listen", "127.0.0.1:0");

        assertThat(status).isEqualTo(GatewayMain.EXIT_STARTUP_FAILED);
        assertThat(err.toString()).contains("gateway is not adopted yet", stateDir.toString(), "portcullis-admin component add",
                "--join-token-file", "PORTCULLIS_JOIN_TOKEN");
    }

    @Test
    void anUnusableJoinTokenFileIsReportedWithoutItsContent() throws Exception {
        Path file = java.nio.file.Files.writeString(stateDir.resolve("token"), "pcj1.garbage-secretpart");

        int status = run(Map.of(), "--state-dir", stateDir.toString(), "--join-token-file", file.toString());

        assertThat(status).isEqualTo(GatewayMain.EXIT_STARTUP_FAILED);
        assertThat(err.toString()).contains("--join-token-file").contains("unusable").doesNotContain("secretpart");
    }

    @Test
    void anUnknownWireGuardImplementationIsRefusedBeforeAnythingStarts() {
        int status = run(Map.of(), "--state-dir", stateDir.toString(), "--wg-implementation",
                "magic");

        assertThat(status).isEqualTo(GatewayMain.EXIT_STARTUP_FAILED);
        assertThat(err.toString()).contains("--wg-implementation");
    }

    private int run(Map<String, String> environment, String... args) {
        CommandLine commandLine = new CommandLine(new GatewayMain(environment));
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        return commandLine.execute(args);
    }
}
