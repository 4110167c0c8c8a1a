package dev.portcullis.compliance.evidence;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs an external command with stdin from /dev/null, a hard timeout and bounded output. */
public final class ExternalCommand {

    /** More than any probe here prints; a command that prints more is cut (its head is kept). */
    static final int MAX_CAPTURE_BYTES = 256 * 1024;

    private ExternalCommand() {
    }

    /** Runs {@code command}; on timeout kills it and its descendants and reports exit code -1. Never throws for a failing command. */
    public static CommandResult run(Duration timeout, List<String> command) {
        Path log = null;
        Process process = null;
        try {
            log = Files.createTempFile("evidence-command", ".log");
            process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                    .redirectInput(new File("/dev/null")).start();
            boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                kill(process);
                return new CommandResult(command, -1, read(log) + "\n[killed after " + timeout.toSeconds() + " s]");
            }
            return new CommandResult(command, process.exitValue(), read(log));
        } catch (IOException e) {
            return new CommandResult(command, -1, "could not run: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new CommandResult(command, -1, "interrupted");
        } finally {
            if (process != null && process.isAlive()) {
                kill(process);
            }
            if (log != null) {
                try {
                    Files.deleteIfExists(log);
                } catch (IOException ignored) {
                    // a temp file left behind
                }
            }
        }
    }

    public static CommandResult run(Duration timeout, String... command) {
        return run(timeout, List.of(command));
    }

    /** Ends a process we started and everything it started, and waits (bounded) for it to go. */
    public static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String read(Path log) throws IOException {
        try (InputStream in = Files.newInputStream(log)) {
            byte[] head = in.readNBytes(MAX_CAPTURE_BYTES);
            return new String(head, StandardCharsets.UTF_8).strip();
        }
    }
}
