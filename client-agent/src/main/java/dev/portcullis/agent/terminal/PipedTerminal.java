package dev.portcullis.agent.terminal;

import dev.portcullis.agent.outcome.AgentFailure;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Input from a pipe (scripts, tests): one answer per line, prompts on stderr. Nothing is echoed
 * because nothing is a terminal.
 */
public final class PipedTerminal implements Terminal {

    /**
     * Longest line we read. Longer than any password core accepts (128 code points, up to 512
     * UTF-8 bytes) or any invite link; without a bound a runaway pipe would fill the heap.
     */
    public static final int MAX_LINE_CHARS = 4096;

    private final Reader in;
    private final PrintStream prompts;

    public PipedTerminal(InputStream in, PrintStream prompts) {
        this.in = new InputStreamReader(in, StandardCharsets.UTF_8);
        this.prompts = prompts;
    }

    @Override
    public String readLine(String prompt) {
        char[] line = readSecret(prompt);
        try {
            return new String(line);
        } finally {
            Arrays.fill(line, '\0');
        }
    }

    @Override
    public char[] readSecret(String prompt) {
        prompts.println(prompt.strip());
        prompts.flush();
        char[] buffer = new char[MAX_LINE_CHARS];
        int length = 0;
        try {
            int c = in.read();
            if (c < 0) {
                throw AgentFailure.usage("input ended while waiting for: " + prompt.strip());
            }
            while (c >= 0 && c != '\n') {
                if (length == MAX_LINE_CHARS) {
                    throw AgentFailure.usage("an input line is longer than " + MAX_LINE_CHARS + " characters");
                }
                buffer[length++] = (char) c;
                c = in.read();
            }
            if (length > 0 && buffer[length - 1] == '\r') {
                length--;
            }
            return Arrays.copyOf(buffer, length);
        } catch (IOException e) {
            throw AgentFailure.usage("cannot read input (" + e.getClass().getSimpleName() + ")");
        } finally {
            Arrays.fill(buffer, '\0');
        }
    }
}
