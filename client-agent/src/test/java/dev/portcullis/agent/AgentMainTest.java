package dev.portcullis.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.agent.outcome.ExitCode;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentMainTest {

    @TempDir
    Path home;

    @Test
    void helpExplainsEachCommandAndEveryExitCode() {
        AgentRun run = AgentRun.run(home, "", "--help");

        assertThat(run.exitCode()).isZero();
        assertThat(run.stdout()).contains("enroll").contains("status").contains("--state-dir").contains("--json")
                .contains("PORTCULLIS_AGENT_HOME");
        for (ExitCode code : ExitCode.values()) {
            String description = code.description();
            assertThat(run.stdout()).contains(description.substring(0, Math.min(20, description.length())))
                    .containsPattern("(?m)^\\s+" + code.code() + "\\s");
        }
    }

    @Test
    void enrollHelpNamesItsOptions() {
        AgentRun run = AgentRun.run(home, "", "enroll", "--help");

        assertThat(run.exitCode()).isZero();
        assertThat(run.stdout()).contains("INVITE_LINK").contains("--device-name").contains("--password-file").contains("--force")
                .contains("security key");
    }

    @Test
    void noCommandIsAUsageError() {
        AgentRun run = AgentRun.run(home, "");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.stderr()).contains("Usage: portcullis-agent");
    }

    @Test
    void anUnknownOptionIsAUsageError() {
        AgentRun run = AgentRun.run(home, "", "status", "--bogus");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.stderr()).contains("--bogus").contains("--help");
    }

    @Test
    void versionIsPrinted() {
        AgentRun run = AgentRun.run(home, "", "--version");

        assertThat(run.exitCode()).isZero();
        assertThat(run.stdout()).startsWith("portcullis-agent ");
    }
}
