package dev.portcullis.agent.terminal;

/**
 * Where the agent asks the user for input. The seam between a person at a console (no echo for
 * secrets) and a script feeding stdin through a pipe. Prompts never go to stdout, which belongs to
 * results.
 */
public interface Terminal {

    /**
     * Reads one line of text.
     *
     * @throws dev.portcullis.agent.outcome.AgentFailure (usage) when the input has ended
     */
    String readLine(String prompt);

    /**
     * Reads a secret, without echo where the terminal allows it. The caller owns the array and
     * should wipe it once used.
     *
     * @throws dev.portcullis.agent.outcome.AgentFailure (usage) when the input has ended
     */
    char[] readSecret(String prompt);
}
