package dev.portcullis.gateway.testnet;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Test hosts made of Linux network namespaces joined by veth pairs, owned by one test and removed
 * on {@link #close()} even when the test failed. Names carry a random tag so parallel or leftover
 * runs never collide. Needs root (as CI and the dev machines run); without it the constructor
 * fails loudly instead of skipping, because a skipped network test proves nothing.
 * <p>
 * Traffic only ever goes to addresses inside namespaces this object created.
 */
public final class TestNetwork implements AutoCloseable {

    /** Every command a test runs is bounded; a hung tool must not hang the build. */
    public static final long COMMAND_TIMEOUT_SECONDS = 20;

    private final String tag = HexFormat.of().formatHex(new byte[] {
            (byte) ThreadLocalRandom.current().nextInt(), (byte) ThreadLocalRandom.current().nextInt()});
    private final List<Namespace> namespaces = new ArrayList<>();
    private final Deque<Process> processes = new ArrayDeque<>();
    private final List<String> interfaces = new ArrayList<>();
    private final List<String> hostLinks = new ArrayList<>();
    private int links;

    /** A namespace made by this network; {@link #name()} is what {@code ip netns exec} takes. */
    public record Namespace(String name) {
    }

    /** The result of a finished command. */
    public record Result(int exitCode, String output) {
    }

    public TestNetwork() {
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new IllegalStateException("network namespace tests need root (they create namespaces, veth and TUN); "
                    + "run the build as root as CI does");
        }
    }

    /** A short unique tag for names that live outside namespaces (interface names, UAPI sockets). */
    public String tag() {
        return tag;
    }

    /** A unique interface name of at most 15 characters, e.g. {@code wg1a2bg}. */
    public String interfaceName(String suffix) {
        String name = "wg" + tag + suffix;
        if (name.length() > 15) {
            throw new IllegalArgumentException("interface name too long: " + name);
        }
        interfaces.add(name);
        return name;
    }

    public Namespace namespace(String role) {
        Namespace namespace = new Namespace("pc" + tag + "-" + role);
        run("ip", "netns", "add", namespace.name());
        namespaces.add(namespace);
        exec(namespace, "ip", "link", "set", "lo", "up");
        return namespace;
    }

    /**
     * Joins two namespaces with a veth pair and gives each end an address (CIDR), both up.
     * Returns the two interface names (a's end, b's end).
     */
    public List<String> link(Namespace a, String addressA, Namespace b, String addressB) {
        int n = ++links;
        String endA = "va" + tag + n;
        String endB = "vb" + tag + n;
        run("ip", "link", "add", endA, "netns", a.name(), "type", "veth", "peer", "name", endB, "netns", b.name());
        exec(a, "ip", "address", "add", addressA, "dev", endA);
        exec(b, "ip", "address", "add", addressB, "dev", endB);
        exec(a, "ip", "link", "set", endA, "up");
        exec(b, "ip", "link", "set", endB, "up");
        return List.of(endA, endB);
    }

    /**
     * Joins a namespace to the test's own (host) namespace with a veth pair, so a process started
     * by the test (core, say) can reach a process inside the namespace. Deleting the namespace on
     * close removes the pair. Returns the two interface names (host end, namespace end).
     */
    public List<String> linkToHost(Namespace namespace, String hostAddress, String namespaceAddress) {
        int n = ++links;
        String hostEnd = "vh" + tag + n;
        String namespaceEnd = "vn" + tag + n;
        run("ip", "link", "add", hostEnd, "type", "veth", "peer", "name", namespaceEnd, "netns", namespace.name());
        run("ip", "address", "add", hostAddress, "dev", hostEnd);
        run("ip", "link", "set", hostEnd, "up");
        exec(namespace, "ip", "address", "add", namespaceAddress, "dev", namespaceEnd);
        exec(namespace, "ip", "link", "set", namespaceEnd, "up");
        hostLinks.add(hostEnd);
        return List.of(hostEnd, namespaceEnd);
    }

    /** Runs a command in a namespace and fails the test if it fails. */
    public String exec(Namespace namespace, String... command) {
        Result result = tryExec(namespace, command);
        if (result.exitCode() != 0) {
            throw new AssertionError("in " + namespace.name() + ": " + String.join(" ", command) + " exited "
                    + result.exitCode() + ": " + result.output());
        }
        return result.output();
    }

    /** Runs a command in a namespace and returns how it ended. */
    public Result tryExec(Namespace namespace, String... command) {
        List<String> line = new ArrayList<>(List.of("ip", "netns", "exec", namespace.name()));
        line.addAll(List.of(command));
        return runCommand(line);
    }

    /** Runs a command in the test's own namespace and fails the test if it fails. */
    public String run(String... command) {
        Result result = runCommand(List.of(command));
        if (result.exitCode() != 0) {
            throw new AssertionError(String.join(" ", command) + " exited " + result.exitCode() + ": " + result.output());
        }
        return result.output();
    }

    /** Starts a long-running command in a namespace; it is killed on close. Output goes to the given file. */
    public Process start(Namespace namespace, Path log, String... command) {
        List<String> line = new ArrayList<>(List.of("ip", "netns", "exec", namespace.name()));
        line.addAll(List.of(command));
        try {
            Process process = new ProcessBuilder(line).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            processes.push(process);
            return process;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + line, e);
        }
    }

    private static Result runCommand(List<String> command) {
        try {
            Path output = Files.createTempFile("testnet", ".out");
            try {
                Process process = new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(output.toFile()).start();
                if (!process.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new AssertionError(String.join(" ", command) + " did not finish in "
                            + COMMAND_TIMEOUT_SECONDS + " s");
                }
                return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(output);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + command, e);
        }
    }

    /** Kills what it started, removes its namespaces (and with them their veth and TUN devices). */
    @Override
    public void close() {
        while (!processes.isEmpty()) {
            Process process = processes.pop();
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            try {
                process.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Namespace namespace : namespaces) {
            // wireguard-go daemonizes: find anything still running in the namespace and stop it.
            Result pids = runCommand(List.of("ip", "netns", "pids", namespace.name()));
            for (String pid : pids.output().split("\\s+")) {
                if (!pid.isBlank()) {
                    runCommand(List.of("kill", "-9", pid.strip()));
                }
            }
            runCommand(List.of("ip", "netns", "delete", namespace.name()));
        }
        for (String hostEnd : hostLinks) {
            // normally gone with its peer's namespace; make sure
            runCommand(List.of("ip", "link", "delete", hostEnd));
        }
        for (String name : interfaces) {
            try {
                Files.deleteIfExists(Path.of("/var/run/wireguard", name + ".sock"));
            } catch (IOException e) {
                // best effort: a stale socket file is harmless and uniquely named
            }
        }
    }
}
