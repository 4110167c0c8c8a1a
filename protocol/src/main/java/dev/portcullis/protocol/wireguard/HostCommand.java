package dev.portcullis.protocol.wireguard;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Runs one of the host's network tools ({@code ip}, {@code wg}, {@code wireguard-go}), optionally
 * inside a network namespace, bounded in time and output. Secrets go in on stdin, never in argv
 * (argv is world-readable in {@code /proc}); stdout may hold secrets and is returned as bytes the
 * caller wipes; only stderr, which the tools use for diagnostics, appears in messages.
 */
final class HostCommand {

    /**
     * Longest a tool may run. {@code ip} and {@code wg} finish in milliseconds; {@code wg} on
     * 10,000 peers in well under a second. A tool still running after 20 s is hung.
     */
    static final Duration TIMEOUT = Duration.ofSeconds(20);

    /** Most stderr kept for a message: diagnostics are a line or two. */
    private static final int MAX_STDERR_BYTES = 4 * 1024;

    /** Shortest quoted diagnostic; keeps messages readable in logs. */
    private static final int MAX_MESSAGE_CHARS = 300;

    private static final Pattern NAMESPACE = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}");

    /** Where the tools live on the Debian hosts we support, searched after {@code PATH}. */
    private static final List<String> SYSTEM_DIRECTORIES = List.of("/usr/sbin", "/usr/bin", "/sbin", "/bin",
            "/usr/local/sbin", "/usr/local/bin");

    /** How a command ended. {@code stdout} may hold secrets: wipe it. */
    record Result(int exitCode, byte[] stdout, String stderr) {
        boolean ok() {
            return exitCode == 0;
        }

        String stdoutText() {
            return new String(stdout, StandardCharsets.UTF_8);
        }

        void wipe() {
            Arrays.fill(stdout, (byte) 0);
        }
    }

    private final Optional<String> namespace;
    private final Consumer<List<String>> observer;

    private HostCommand(Optional<String> namespace, Consumer<List<String>> observer) {
        this.namespace = namespace;
        this.observer = observer;
    }

    /** Commands in the process's own network namespace. */
    static HostCommand here() {
        return new HostCommand(Optional.empty(), line -> { });
    }

    /** The same commands, each command line also handed to {@code observer} (tests check argv). */
    HostCommand observed(Consumer<List<String>> observer) {
        return new HostCommand(namespace, observer);
    }

    /** Commands in a named namespace ({@code ip netns exec NAME …}). */
    static HostCommand inNamespace(String namespace) {
        if (namespace == null || !NAMESPACE.matcher(namespace).matches()) {
            throw new IllegalArgumentException("not a network namespace name");
        }
        return new HostCommand(Optional.of(namespace), line -> { });
    }

    Optional<String> namespace() {
        return namespace;
    }

    /** The absolute path of {@code tool}, or a message telling the operator how to install it. */
    static Path locate(String tool) throws DeviceException {
        Set<String> directories = new LinkedHashSet<>();
        String path = System.getenv("PATH");
        if (path != null) {
            directories.addAll(Arrays.asList(path.split(":")));
        }
        directories.addAll(SYSTEM_DIRECTORIES);
        for (String directory : directories) {
            if (directory.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(directory, tool);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new DeviceException(tool + " not found: install it with scripts/install-os-packages");
    }

    /** The full command line: the namespace prefix and the located tool. */
    List<String> commandLine(String tool, List<String> arguments) throws DeviceException {
        List<String> line = new ArrayList<>();
        if (namespace.isPresent()) {
            line.add(locate("ip").toString());
            line.addAll(List.of("netns", "exec", namespace.get()));
        }
        line.add(locate(tool).toString());
        line.addAll(arguments);
        return line;
    }

    Result run(String tool, List<String> arguments) throws DeviceException {
        return run(tool, arguments, null, UapiResponse.MAX_RESPONSE_BYTES);
    }

    /**
     * Runs {@code tool} with {@code stdin} (wiped by the caller) and returns how it ended. Fails
     * if it runs longer than {@link #TIMEOUT} or writes more than {@code maxStdout} bytes.
     */
    Result run(String tool, List<String> arguments, byte[] stdin, int maxStdout) throws DeviceException {
        List<String> line = commandLine(tool, arguments);
        observer.accept(List.copyOf(line));
        Process process;
        try {
            process = new ProcessBuilder(line).start();
        } catch (IOException e) {
            throw new DeviceException("cannot start " + tool + ": " + e.getMessage(), e);
        }
        Collector stdout = new Collector(process.getInputStream(), maxStdout);
        Collector stderr = new Collector(process.getErrorStream(), MAX_STDERR_BYTES);
        stdout.start();
        stderr.start();
        try (OutputStream in = process.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin);
            }
        } catch (IOException e) {
            // The tool exited without reading its input; its exit code and stderr say why.
        }
        try {
            if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(2, TimeUnit.SECONDS);
                stdout.join(1000);
                stdout.wipe();
                throw new DeviceException(tool + " did not finish within " + TIMEOUT.toSeconds() + " s");
            }
            stdout.join(TIMEOUT.toMillis());
            stderr.join(TIMEOUT.toMillis());
        } catch (InterruptedException e) {
            process.destroyForcibly();
            stdout.wipe();
            Thread.currentThread().interrupt();
            throw new DeviceException("interrupted while running " + tool, e);
        }
        if (stdout.overflowed) {
            stdout.wipe();
            throw new DeviceException(tool + " wrote more than " + maxStdout + " bytes");
        }
        byte[] output = stdout.bytes();
        stdout.wipe();
        return new Result(process.exitValue(), output, stderr.text());
    }

    /** Fails with the tool's own diagnostic (stderr only, shortened) unless it succeeded. */
    static Result require(Result result, String what) throws DeviceException {
        if (!result.ok()) {
            result.wipe();
            throw new DeviceException(what + " failed (exit " + result.exitCode() + ")"
                    + (result.stderr().isBlank() ? "" : ": " + result.stderr()));
        }
        return result;
    }

    /** Reads a stream to the end on its own thread, keeping at most {@code max} bytes. */
    private static final class Collector extends Thread {
        private final InputStream stream;
        private final int max;
        private final Object lock = new Object();
        // Grown by copying; each old array is wiped, since stdout may hold keys. Guarded by lock.
        private byte[] kept = new byte[1024];
        private int length;
        private volatile boolean overflowed;

        Collector(InputStream stream, int max) {
            super("host-command-output");
            setDaemon(true);
            this.stream = stream;
            this.max = max;
        }

        @Override
        public void run() {
            byte[] chunk = new byte[8192];
            try (stream) {
                int read;
                while ((read = stream.read(chunk)) >= 0) {
                    synchronized (lock) {
                        int room = max - length;
                        if (read > room) {
                            overflowed = true;
                        }
                        keep(chunk, Math.min(read, Math.max(room, 0)));
                    }
                }
            } catch (IOException e) {
                // The process was killed; what was read so far is all there is.
            } finally {
                Arrays.fill(chunk, (byte) 0);
            }
        }

        private void keep(byte[] chunk, int count) {
            if (length + count > kept.length) {
                byte[] grown = Arrays.copyOf(kept, Math.max(kept.length * 2, length + count));
                Arrays.fill(kept, (byte) 0);
                kept = grown;
            }
            System.arraycopy(chunk, 0, kept, length, count);
            length += count;
        }

        byte[] bytes() {
            synchronized (lock) {
                return Arrays.copyOf(kept, length);
            }
        }

        void wipe() {
            synchronized (lock) {
                Arrays.fill(kept, (byte) 0);
                length = 0;
            }
        }

        String text() {
            String text = new String(bytes(), StandardCharsets.UTF_8).strip().replaceAll("[\\p{Cntrl}&&[^\\n]]", "?")
                    .replace('\n', ' ');
            return text.length() > MAX_MESSAGE_CHARS ? text.substring(0, MAX_MESSAGE_CHARS) + "…" : text;
        }
    }
}
