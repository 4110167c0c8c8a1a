package dev.portcullis.agent.terminal;

import dev.portcullis.agent.outcome.AgentFailure;
import java.io.Console;

/** A person at a console: prompts on the console itself, secrets read without echo. */
public final class ConsoleTerminal implements Terminal {

    private final Console console;

    public ConsoleTerminal(Console console) {
        this.console = console;
    }

    @Override
    public String readLine(String prompt) {
        String line = console.readLine("%s", prompt);
        if (line == null) {
            throw AgentFailure.usage("input ended while waiting for: " + prompt.strip());
        }
        return line;
    }

    @Override
    public char[] readSecret(String prompt) {
        char[] secret = console.readPassword("%s", prompt);
        if (secret == null) {
            throw AgentFailure.usage("input ended while waiting for: " + prompt.strip());
        }
        return secret;
    }
}
