package dev.portcullis.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.acl.TunnelInterface;
import dev.portcullis.protocol.testing.TestCore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real process, started as an operator would, serving health and stopping cleanly on SIGTERM. */
class GatewayProcessTest {

    private static final Pattern HEALTH = Pattern.compile("health endpoint on http://([0-9.]+:\\d+)/healthz");

    @TempDir
    Path stateDir;
    @TempDir
    Path logDir;

    private Process process;
    /** A name of our own, so parallel runs and the host's interfaces are never touched. */
    private final String wgInterface = "pcgt" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff));

    @AfterEach
    void stop() throws Exception {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        // The interface and the firewall table outlive the process by design (sessions survive a restart).
        quietly("ip", "link", "del", wgInterface);
        quietly("nft", "delete", "table", "inet", new TunnelInterface(wgInterface).tableName());
    }

    private static void quietly(String... command) throws Exception {
        Process cleanup = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!cleanup.waitFor(10, TimeUnit.SECONDS)) {
            cleanup.destroyForcibly();
        }
    }

    @Test
    void sigtermClosesTheLinkAndTheHealthServerAndExits() throws Exception {
        TestCore core = new TestCore();
        Path log = logDir.resolve("gateway.log");
        process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx96m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), GatewayMain.class.getName(),
                "--control-listen", "127.0.0.1:0", "--health-listen", "127.0.0.1:0", "--state-dir", stateDir.toString(),
                "--join-token", core.mintToken().reveal(),
                // Tests run as root here; wireguard-go works without the kernel module.
                "--wg-interface", wgInterface, "--wg-listen-port", String.valueOf(ThreadLocalRandom.current().nextInt(40000, 60000)),
                "--wg-implementation", "userspace")
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();

        String health = awaitHealthAddress(log);
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://" + health + "/healthz")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.body()).contains("\"state\":\"setup\"");

        process.destroy();

        assertThat(process.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("terminated by SIGTERM").isEqualTo(128 + 15);
        assertThat(Files.readString(log)).contains("stopping", "gateway link closed");
    }

    private String awaitHealthAddress(Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            Matcher matcher = HEALTH.matcher(Files.readString(log));
            if (matcher.find()) {
                return matcher.group(1);
            }
            assertThat(process.isAlive()).as("process alive; output so far:%n%s", Files.readString(log)).isTrue();
            Thread.sleep(50);
        }
        throw new AssertionError("no health address in output:\n" + Files.readString(log));
    }
}
