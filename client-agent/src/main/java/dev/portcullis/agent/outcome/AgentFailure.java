package dev.portcullis.agent.outcome;

import java.util.Objects;

/**
 * A command failed in a way the user can act on. The message is shown as it is, so it must never
 * hold a secret. The internal cause, if any, is kept for debugging in tests and never printed.
 */
public class AgentFailure extends RuntimeException {

    private static final long serialVersionUID = 1L;
    private final transient ExitCode exitCode;

    public AgentFailure(ExitCode exitCode, String userMessage) {
        this(exitCode, userMessage, null);
    }

    public AgentFailure(ExitCode exitCode, String userMessage, Throwable internalCause) {
        super(Objects.requireNonNull(userMessage), internalCause, false, false);
        this.exitCode = Objects.requireNonNull(exitCode);
    }

    public ExitCode exitCode() {
        return exitCode;
    }

    public static AgentFailure usage(String message) {
        return new AgentFailure(ExitCode.USAGE, message);
    }

    public static AgentFailure localState(String message) {
        return new AgentFailure(ExitCode.LOCAL_STATE, message);
    }
}
