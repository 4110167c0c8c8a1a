package dev.portcullis.agent;

import dev.portcullis.agent.outcome.AgentFailure;
import dev.portcullis.agent.outcome.ExitCode;
import dev.portcullis.agent.state.StateDirectory;
import dev.portcullis.agent.tunnel.Keeper;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code portcullis-agent keep <location>}: the session keeper, started in the background by {@code up}. */
@Command(name = "keep", hidden = true, mixinStandardHelpOptions = true, usageHelpWidth = 100,
        description = "The session keeper that 'up' starts in the background: takes the tunnel down at the session's end "
                + "or when core ends it; keeps it while the proxy is unreachable. Logs to keeper-<location>.log.")
final class KeepCommand implements Callable<Integer> {

    @ParentCommand
    AgentMain agent;

    @Parameters(paramLabel = "LOCATION")
    String location;

    @Option(names = "--poll-seconds", paramLabel = "N", description = "How often to ask core (default 15).")
    Long pollSeconds;

    @Override
    public Integer call() throws InterruptedException {
        StateDirectory.checkLocation(location);
        if (pollSeconds != null && (pollSeconds < 1 || pollSeconds > 3600)) {
            throw AgentFailure.usage("--poll-seconds is 1..3600");
        }
        StateDirectory state = agent.stateDirectory();
        state.saveKeeperPid(location, ProcessHandle.current().pid());
        Duration poll = pollSeconds == null ? Keeper.POLL_INTERVAL : Duration.ofSeconds(pollSeconds);
        return new Keeper(state, location, agent.clock(), poll, agent.errStream()).run() == 0 ? ExitCode.OK.code()
                : ExitCode.INTERNAL.code();
    }
}
