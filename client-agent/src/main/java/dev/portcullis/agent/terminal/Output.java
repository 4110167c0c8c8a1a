package dev.portcullis.agent.terminal;

import java.io.PrintStream;
import java.util.function.Supplier;

/**
 * Where the agent talks. Human mode: progress and results on stdout. {@code --json} mode: stdout
 * holds exactly one JSON object, written at the end, and everything meant for the person (progress,
 * the TOTP secret, recovery codes) goes to stderr. Errors always go to stderr.
 * <p>
 * Text that came from the server passes through {@link #safe(String)} first: a server must not be
 * able to drive the user's terminal with escape sequences.
 */
public final class Output {

    private final PrintStream out;
    private final PrintStream err;
    private final boolean json;

    public Output(PrintStream out, PrintStream err, boolean json) {
        this.out = out;
        this.err = err;
        this.json = json;
    }

    public boolean json() {
        return json;
    }

    /** A line for the person running the command. */
    public void say(String line) {
        person().println(line);
        person().flush();
    }

    /**
     * Runs one named step, showing {@code "<what>... done"} (or {@code "failed"}) around it. The
     * failure itself propagates; the caller's top level shows its message.
     */
    public <T> T step(String what, Supplier<T> action) {
        person().print(what + "... ");
        person().flush();
        try {
            T result = action.get();
            person().println("done");
            return result;
        } catch (RuntimeException e) {
            person().println("failed");
            throw e;
        } finally {
            person().flush();
        }
    }

    /** Runs a step that returns nothing. */
    public void step(String what, Runnable action) {
        step(what, () -> {
            action.run();
            return null;
        });
    }

    /** Starts a progress line ("Waiting for the browser "), continued by {@link #progressTick()}. */
    public void progress(String what) {
        person().print(what + " ");
        person().flush();
    }

    /** One more dot on the progress line. */
    public void progressTick() {
        person().print(".");
        person().flush();
    }

    /** Ends the progress line with how it ended. */
    public void progressEnd(String how) {
        person().println(" " + how);
        person().flush();
    }

    /** The one JSON object of {@code --json} mode. */
    public void result(String jsonObject) {
        out.println(jsonObject);
        out.flush();
    }

    /** A failure, on stderr. */
    public void error(String message) {
        err.println("portcullis-agent: " + message);
        err.flush();
    }

    private PrintStream person() {
        return json ? err : out;
    }

    /** Replaces control characters (escape sequences, carriage returns, bidi overrides) with '?'. */
    public static String safe(String fromServer) {
        if (fromServer == null) {
            return "";
        }
        StringBuilder clean = new StringBuilder(fromServer.length());
        fromServer.codePoints().forEach(c -> {
            int type = Character.getType(c);
            boolean control = Character.isISOControl(c) || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                    || type == Character.PARAGRAPH_SEPARATOR;
            clean.appendCodePoint(control ? '?' : c);
        });
        return clean.toString();
    }
}
