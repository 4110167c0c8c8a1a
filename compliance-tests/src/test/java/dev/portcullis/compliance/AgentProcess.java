package dev.portcullis.compliance;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code portcullis-agent}, the shaded client-agent jar, run as its own process with its state in
 * a directory of the test's, in {@code --json} mode: stdout carries one JSON object at the end,
 * everything for the person (progress, prompts, the TOTP secret, recovery codes) goes to stderr.
 * Without a console the agent reads one answer per line: password, password again, TOTP code;
 * the code is what Debian's oathtool computes from the secret the agent printed.
 */
final class AgentProcess {

    /** Enrollment makes a handful of HTTPS calls and one Argon2id hash in core; a cold JVM on a busy machine. */
    private static final Duration ENROLL_TIMEOUT = Duration.ofSeconds(120);
    /** How the agent shows the TOTP secret to the person ({@code Enrollment.registerTotp}). */
    private static final Pattern SECRET = Pattern.compile("secret \\(Base32\\):\\s*([A-Z2-7]+=*)");

    private AgentProcess() {
    }

    /** How a run ended: exit status, stdout (the JSON object), stderr (what the person saw) and the TOTP secret shown. */
    record Result(int exitCode, String stdout, String stderr, String totpSecret) {
        String output() {
            return "exit " + exitCode + "\n--- stdout:\n" + stdout + "\n--- stderr:\n" + stderr;
        }
    }

    static List<String> command(Path stateDir, String... arguments) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> line = new ArrayList<>(List.of(java, "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-jar", Artifacts.jar("client-agent").toString(), "--state-dir", stateDir.toString()));
        line.addAll(List.of(arguments));
        return line;
    }

    /** A non-interactive command (status, say): no input, bounded. */
    static Result run(Path stateDir, String... arguments) throws Exception {
        Process process = new ProcessBuilder(command(stateDir, arguments)).start();
        process.getOutputStream().close();
        StringBuilder stdout = new StringBuilder();
        StringBuilder stderr = new StringBuilder();
        Thread out = drain(process.getInputStream(), stdout);
        Thread err = drain(process.getErrorStream(), stderr);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("portcullis-agent " + String.join(" ", arguments) + " did not finish");
        }
        out.join(5_000);
        err.join(5_000);
        return new Result(process.exitValue(), text(stdout), text(stderr), null);
    }

    /**
     * {@code ip netns exec NAMESPACE portcullis-agent ARGS} with {@code input} on stdin (then closed):
     * the agent as it runs on a device whose network is that namespace. Bounded by {@code timeout}.
     * A keeper the agent leaves running in the background does not hold this call: output is read
     * until the agent itself exits, then for at most a moment more.
     */
    static Result runIn(String namespace, Path stateDir, String input, Duration timeout, String... arguments) throws Exception {
        List<String> line = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
        line.addAll(command(stateDir, arguments));
        Process process = new ProcessBuilder(line).start();
        StringBuilder stdout = new StringBuilder();
        StringBuilder stderr = new StringBuilder();
        Thread out = drain(process.getInputStream(), stdout);
        Thread err = drain(process.getErrorStream(), stderr);
        try (OutputStream stdin = process.getOutputStream()) {
            stdin.write(input.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // the agent exited before reading its input; its exit status and output say why
        }
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("portcullis-agent " + String.join(" ", arguments) + " did not finish in " + timeout
                    + ":\n" + text(stderr));
        }
        out.join(2_000);
        err.join(2_000);
        return new Result(process.exitValue(), text(stdout), text(stderr), null);
    }

    /** {@code portcullis-agent --json enroll LINK --device-name NAME}, answering on stdin. */
    static Result enroll(Path stateDir, String link, String password, String deviceName) throws Exception {
        Process process = new ProcessBuilder(command(stateDir, "--json", "enroll", link, "--device-name", deviceName)).start();
        StringBuilder stdout = new StringBuilder();
        StringBuilder stderr = new StringBuilder();
        Thread out = drain(process.getInputStream(), stdout);
        Thread err = drain(process.getErrorStream(), stderr);
        String secret = null;
        try (OutputStream stdin = process.getOutputStream()) {
            stdin.write((password + "\n" + password + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
            long deadline = System.nanoTime() + ENROLL_TIMEOUT.toNanos();
            while (process.isAlive() && System.nanoTime() < deadline) {
                if (secret == null) {
                    Matcher shown = SECRET.matcher(text(stderr));
                    if (shown.find()) {
                        secret = shown.group(1);
                        stdin.write((Oathtool.totp(secret) + "\n").getBytes(StandardCharsets.UTF_8));
                        stdin.flush();
                    }
                }
                process.waitFor(100, TimeUnit.MILLISECONDS);
            }
        } catch (IOException e) {
            // the agent exited before reading everything; its exit status and output say why
        }
        if (process.isAlive()) {
            process.destroyForcibly();
            throw new AssertionError("portcullis-agent enroll did not finish in " + ENROLL_TIMEOUT + ":\n" + text(stderr));
        }
        process.waitFor(10, TimeUnit.SECONDS);
        out.join(5_000);
        err.join(5_000);
        return new Result(process.exitValue(), text(stdout), text(stderr), secret);
    }

    /** What a drained stream has given so far. */
    static String text(StringBuilder buffer) {
        synchronized (buffer) {
            return buffer.toString();
        }
    }

    /** Copies a process's stream into {@code into} (guarded by itself) on a daemon thread until it ends. */
    static Thread drain(InputStream in, StringBuilder into) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[4096];
            try {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    synchronized (into) {
                        into.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        }, "agent-output");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }
}
