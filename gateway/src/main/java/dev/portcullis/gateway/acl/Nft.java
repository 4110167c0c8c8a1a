package dev.portcullis.gateway.acl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Runs the {@code nft} tool, bounded in time and output. Input and output go through temporary
 * files rather than pipes, so a stalled nft can never block the caller on a full pipe: the only
 * wait is {@link Process#waitFor(long, TimeUnit)} with the timeout.
 * <p>
 * A command prefix runs nft somewhere else, e.g. {@code ip netns exec NS} in tests. Nothing here
 * goes through a shell.
 */
public final class Nft {

    /**
     * How long one nft invocation may take. Loading the largest policy {@link AclCompiler} admits
     * takes well under a second; a hung nft (a stuck netlink socket, a wedged host) must fail the
     * apply rather than the gateway's control loop. A transaction killed at the timeout is either
     * committed whole or not at all.
     */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(15);

    /** Bytes of nft output read back: a counter listing is well under 1 KiB; more is not what we asked for. */
    static final int MAX_OUTPUT_BYTES = 64 * 1024;

    /** Characters of nft's error output kept in an exception message. */
    static final int MAX_ERROR_SUMMARY = 300;

    private final List<String> prefix;
    private final Duration timeout;

    /** nft on this host, with the default timeout. */
    public Nft() {
        this(List.of(), DEFAULT_TIMEOUT);
    }

    /**
     * @param prefix  command words put before {@code nft}, e.g. {@code [ip, netns, exec, NS]}; may be empty
     * @param timeout how long one invocation may take
     */
    public Nft(List<String> prefix, Duration timeout) {
        this.prefix = List.copyOf(prefix);
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive");
        }
    }

    /** nft inside a network namespace: {@code ip netns exec NAME nft …}. */
    public static Nft inNamespace(String namespace, Duration timeout) {
        return new Nft(List.of("ip", "netns", "exec", namespace), timeout);
    }

    /** Loads a script as one transaction ({@code nft -f -} with the script on stdin). */
    void runScript(String script) throws FirewallException {
        run(script, "-f", "-");
    }

    /** Runs nft with arguments and returns its standard output. */
    String run(String stdin, String... arguments) throws FirewallException {
        List<String> command = new ArrayList<>(prefix);
        command.add("nft");
        command.addAll(List.of(arguments));
        Path input = null;
        Path output = null;
        Path errors = null;
        try {
            input = Files.createTempFile("portcullis-nft", ".in");
            output = Files.createTempFile("portcullis-nft", ".out");
            errors = Files.createTempFile("portcullis-nft", ".err");
            Files.writeString(input, stdin == null ? "" : stdin, StandardCharsets.UTF_8);
            Process process = new ProcessBuilder(command).redirectInput(input.toFile())
                    .redirectOutput(output.toFile()).redirectError(errors.toFile()).start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw new FirewallException("nft did not finish within " + timeout.toSeconds() + " s");
            }
            if (process.exitValue() != 0) {
                throw new FirewallException("nft failed (exit " + process.exitValue() + "): "
                        + summarize(readHead(errors)));
            }
            return readBounded(output);
        } catch (IOException e) {
            throw new FirewallException("cannot run nft", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FirewallException("interrupted while running nft", e);
        } finally {
            deleteQuietly(input);
            deleteQuietly(output);
            deleteQuietly(errors);
        }
    }

    private static String readBounded(Path file) throws IOException, FirewallException {
        if (Files.size(file) > MAX_OUTPUT_BYTES) {
            throw new FirewallException("nft wrote more than " + MAX_OUTPUT_BYTES + " bytes");
        }
        return Files.readString(file, StandardCharsets.UTF_8);
    }

    private static String readHead(Path file) throws IOException {
        try (var in = Files.newInputStream(file)) {
            return new String(in.readNBytes(MAX_OUTPUT_BYTES), StandardCharsets.UTF_8);
        }
    }

    /** nft's error output on one line: control characters replaced, shortened. */
    static String summarize(String errors) {
        String oneLine = errors.strip().replaceAll("[\\p{Cntrl}]+", " ").replaceAll(" {2,}", " ");
        if (oneLine.isEmpty()) {
            return "no error output";
        }
        return oneLine.length() <= MAX_ERROR_SUMMARY ? oneLine : oneLine.substring(0, MAX_ERROR_SUMMARY) + "…";
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // a leftover temp file holds only firewall rules and is uniquely named
            }
        }
    }
}
