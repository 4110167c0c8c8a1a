package dev.portcullis.agent.enroll;

import dev.portcullis.agent.outcome.AgentFailure;
import dev.portcullis.agent.outcome.ExitCode;

/**
 * The server answered 4xx with its {@code {"error"}} message, shown as is (after removing control
 * characters). A step may react to the status (re-prompt on 400); otherwise it ends the command
 * with {@link ExitCode#SERVER_REFUSED}.
 */
public final class ServerRefusal extends AgentFailure {

    private static final long serialVersionUID = 1L;
    private final int status;

    public ServerRefusal(int status, String userMessage) {
        super(ExitCode.SERVER_REFUSED, userMessage);
        this.status = status;
    }

    public int status() {
        return status;
    }

    /** HTTP 400: the input broke a rule; the message says which. */
    public boolean isInputRejected() {
        return status == 400;
    }
}
