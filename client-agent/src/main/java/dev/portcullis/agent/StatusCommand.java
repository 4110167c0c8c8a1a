package dev.portcullis.agent;

import dev.portcullis.agent.outcome.AgentFailure;
import dev.portcullis.agent.outcome.ExitCode;
import dev.portcullis.agent.state.EnrollmentRecord;
import dev.portcullis.agent.state.StateDirectory;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code portcullis-agent status}: what this device's enrollment says, read from its state directory only. */
@Command(name = "status", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        description = "Shows this device's enrollment: user, device, proxy and locations. Reads only the state directory; "
                + "contacts no server.")
final class StatusCommand implements Callable<Integer> {

    @ParentCommand
    AgentMain agent;

    @Override
    public Integer call() {
        StateDirectory state = agent.stateDirectory();
        EnrollmentRecord record = state.loadEnrollment().orElseThrow(() -> AgentFailure.localState(
                "this device is not enrolled (nothing in " + state.path() + "); run: portcullis-agent enroll '<invite link>'"));
        Summary.show(record, state, agent.output());
        return ExitCode.OK.code();
    }
}
