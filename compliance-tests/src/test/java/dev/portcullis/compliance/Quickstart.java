package dev.portcullis.compliance;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Drives the README's quickstart script exactly as a user would, on ports chosen free for this run
 * and with all state under the test's own directory.
 */
final class Quickstart {

    /** Generous: a cold JVM start of core plus embedded PostgreSQL on a loaded 2-core machine. */
    static final int WAIT_SECONDS = 180;

    final Path state;
    final int adminPort = freePort();
    final int edgePublicPort = freePort();
    final int edgeControlPort = freePort();
    final int gatewayControlPort = freePort();
    final int gatewayHealthPort = freePort();
    final int gatewayWireGuardPort = freePort();
    /** Unique per run: the interface lives in the host's namespace until {@code reset}. */
    final String gatewayInterface = "pcq" + Long.toHexString(System.nanoTime() & 0xffffffL);

    /** The demo device's addresses (the quickstart's default is 10.99.70; tests keep clear of a user's). */
    static final String DEMO_NET = "10.99.71";
    /** Whether the quickstart enrolls its demo device (in a namespace of its own; off unless a test asks). */
    final boolean demoDevice;
    /** Unique per run, like the gateway's interface: the demo device's namespace. */
    final String demoNamespace = "pcd" + Long.toHexString(System.nanoTime() & 0xffffffL);

    /** What a command printed and how it ended. */
    record Result(int exitCode, String output) {
    }

    Quickstart(Path state) {
        this(state, false);
    }

    Quickstart(Path state, boolean demoDevice) {
        this.state = state;
        this.demoDevice = demoDevice;
    }

    Result run(String... arguments) throws IOException, InterruptedException {
        return exec(Artifacts.root().resolve("quickstart").toString(), arguments);
    }

    Result admin(String... arguments) throws IOException, InterruptedException {
        return exec(Artifacts.root().resolve("bin/portcullis-admin").toString(), arguments);
    }

    /** A command line as a user types it ({@code bash -c}), in the quickstart's environment. */
    Result shell(String commandLine) throws IOException, InterruptedException {
        return exec("bash", "-c", commandLine);
    }

    long pid(String process) throws IOException {
        return Long.parseLong(Files.readString(state.resolve("run").resolve(process + ".pid")).trim());
    }

    private Result exec(String command, String... arguments) throws IOException, InterruptedException {
        List<String> line = new java.util.ArrayList<>();
        line.add(command);
        line.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(line).redirectErrorStream(true);
        builder.environment().putAll(environment());
        Files.createDirectories(state.getParent());
        Path log = Files.createTempFile(state.getParent(), "command", ".log");
        builder.redirectOutput(log.toFile());
        Process process = builder.start();
        if (!process.waitFor(WAIT_SECONDS + 120L, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(command + " did not finish; output so far:\n" + Files.readString(log));
        }
        return new Result(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }

    private Map<String, String> environment() {
        Map<String, String> env = new HashMap<>();
        env.put("PORTCULLIS_STATE", state.toString());
        env.put("PORTCULLIS_HOME", state.resolve("core").toString());
        env.put("PORTCULLIS_SKIP_BUILD", "1");
        env.put("PORTCULLIS_BUILD_DIR", Artifacts.buildDir());
        env.put("PORTCULLIS_WAIT_SECONDS", Integer.toString(WAIT_SECONDS));
        env.put("PORTCULLIS_ADMIN_PORT", Integer.toString(adminPort));
        env.put("PORTCULLIS_ADMIN_URL", "http://127.0.0.1:" + adminPort);
        env.put("PORTCULLIS_EDGE_PUBLIC_PORT", Integer.toString(edgePublicPort));
        env.put("PORTCULLIS_EDGE_CONTROL_PORT", Integer.toString(edgeControlPort));
        env.put("PORTCULLIS_GATEWAY_CONTROL_PORT", Integer.toString(gatewayControlPort));
        env.put("PORTCULLIS_GATEWAY_HEALTH_PORT", Integer.toString(gatewayHealthPort));
        env.put("PORTCULLIS_GATEWAY_WG_PORT", Integer.toString(gatewayWireGuardPort));
        env.put("PORTCULLIS_GATEWAY_WG_INTERFACE", gatewayInterface);
        env.put("PORTCULLIS_DEMO_DEVICE", demoDevice ? "1" : "0");
        env.put("PORTCULLIS_DEMO_NETNS", demoNamespace);
        env.put("PORTCULLIS_DEMO_NET", DEMO_NET);
        env.put("JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
        return env;
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port on loopback", e);
        }
    }
}
