package dev.portcullis.compliance;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ip netns exec NAMESPACE portcullis-agent ARGS} left running while the test does something
 * else (a browser step the agent waits for), with its stdout and stderr captured as they come.
 * {@link AgentProcess#runIn} is the same for commands that finish by themselves; this one is for
 * {@code up --method webauthn}, which polls core until the browser has asserted or its attempt ends.
 * Stdin is closed at once: the agent asks nothing of the person in this mode.
 */
final class RunningAgent implements AutoCloseable {

    private final Process process;
    private final String command;
    private final StringBuilder stdout = new StringBuilder();
    private final StringBuilder stderr = new StringBuilder();
    private final Thread out;
    private final Thread err;

    private RunningAgent(Process process, String command) {
        this.process = process;
        this.command = command;
        this.out = AgentProcess.drain(process.getInputStream(), stdout);
        this.err = AgentProcess.drain(process.getErrorStream(), stderr);
    }

    /** Starts the agent in the device's namespace with its state directory. */
    static RunningAgent start(TunnelLab.Device device, String... arguments) throws IOException {
        List<String> line = new ArrayList<>(List.of("ip", "netns", "exec", device.ns()));
        line.addAll(AgentProcess.command(device.state(), arguments));
        ProcessBuilder builder = new ProcessBuilder(line);
        // No display: the agent must not hand the link to xdg-open; the test's own browser opens it.
        builder.environment().remove("DISPLAY");
        builder.environment().remove("WAYLAND_DISPLAY");
        Process process = builder.start();
        process.getOutputStream().close();
        return new RunningAgent(process, "portcullis-agent " + String.join(" ", arguments));
    }

    /**
     * Polls (bounded) until stderr, where {@code --json} mode talks to the person, matches the
     * pattern; returns the match. Fails early if the agent exits first.
     */
    Matcher awaitStderr(Pattern pattern, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Matcher matcher = pattern.matcher(stderr());
            if (matcher.find()) {
                return matcher;
            }
            if (!process.isAlive()) {
                out.join(2_000);
                err.join(2_000);
                matcher = pattern.matcher(stderr());
                if (matcher.find()) {
                    return matcher;
                }
                throw new AssertionError(command + " ended before printing " + pattern + ":\n" + output());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(command + " did not print " + pattern + " within " + timeout + ":\n" + output());
            }
            process.waitFor(100, TimeUnit.MILLISECONDS);
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Waits (bounded) for the agent to exit by itself; fails if it does not. */
    AgentProcess.Result awaitExit(Duration timeout) throws Exception {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError(command + " did not finish within " + timeout + ":\n" + output());
        }
        return result();
    }

    /** Stops the agent (SIGTERM, then SIGKILL after a moment) and returns how it ended. */
    AgentProcess.Result stop() throws InterruptedException {
        if (process.isAlive()) {
            // ip netns exec execs the agent in place; should it ever fork instead, its child goes too.
            process.descendants().forEach(ProcessHandle::destroy);
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
        return result();
    }

    private AgentProcess.Result result() throws InterruptedException {
        out.join(2_000);
        err.join(2_000);
        return new AgentProcess.Result(process.exitValue(), text(stdout), text(stderr), null);
    }

    String stderr() {
        return text(stderr);
    }

    String output() {
        return "--- stdout:\n" + text(stdout) + "\n--- stderr:\n" + text(stderr);
    }

    /** Whatever state it is in: never leaves the process behind. */
    @Override
    public void close() {
        try {
            stop();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static String text(StringBuilder buffer) {
        return AgentProcess.text(buffer);
    }
}
