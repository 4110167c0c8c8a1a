package dev.portcullis.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.join.JoinToken;
import dev.portcullis.protocol.testing.TestCore;
import dev.portcullis.protocol.v1.ComponentMessage;
import dev.portcullis.protocol.v1.CoreMessage;
import dev.portcullis.protocol.v1.Revoked;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real process, started as an operator would: adopted, connected, revoked, and it exits non-zero. */
class EdgeProxyProcessTest {

    private static final Pattern CONTROL_PORT = Pattern.compile("control link for core on port (\\d+)");

    @TempDir
    Path stateDir;
    @TempDir
    Path logDir;

    private Path log;
    private Process process;
    private TestCore core;

    @AfterEach
    void stop() {
        if (process != null) {
            process.destroyForcibly();
        }
        if (core != null) {
            core.close();
        }
    }

    @Test
    void aRevokedEdgeProxyStopsAndExitsWithStatus3WithoutEverLoggingItsToken() throws Exception {
        core = new TestCore();
        JoinToken token = core.mintToken();
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx96m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), EdgeProxyMain.class.getName(),
                "--control-listen", "127.0.0.1:0", "--public-listen", "127.0.0.1:0", "--state-dir", stateDir.toString())
                .redirectErrorStream(true);
        log = logDir.resolve("edge-proxy.log");
        builder.redirectOutput(log.toFile());
        builder.environment().put("PORTCULLIS_JOIN_TOKEN", token.reveal());
        process = builder.start();

        int controlPort = awaitControlPort();
        core.adopt(controlPort, PeerIdentity.Role.EDGE_PROXY);
        TestCore.Session session = openWhenReady(controlPort);
        session.expect(ComponentMessage.BodyCase.HELLO);
        session.send(CoreMessage.newBuilder().setRevoked(Revoked.newBuilder().setReason("removed by admin")).build());

        assertThat(process.waitFor(20, TimeUnit.SECONDS)).as("exited after revocation").isTrue();
        assertThat(process.exitValue()).isEqualTo(EdgeProxyMain.EXIT_REVOKED);
        String output = Files.readString(log);
        assertThat(output).contains("revoked by core");
        assertThat(output).doesNotContain(token.reveal()).doesNotContain(token.reveal().split("\\.")[3]);
    }

    private int awaitControlPort() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            String output = Files.readString(log);
            Matcher matcher = CONTROL_PORT.matcher(output);
            if (matcher.find()) {
                return Integer.parseInt(matcher.group(1));
            }
            assertThat(process.isAlive()).as("process alive; output so far:%n%s", output).isTrue();
            Thread.sleep(50);
        }
        throw new AssertionError("no control port in output:\n" + Files.readString(log));
    }

    /** The link switches the port to mTLS on a background thread after Complete; it says so in its log. */
    private TestCore.Session openWhenReady(int controlPort) throws Exception {
        TestCore.await(() -> {
            try {
                return Files.readString(log).contains("serving core over mutual TLS");
            } catch (java.io.IOException e) {
                return false;
            }
        }, "the link serving mTLS");
        return core.openControl(controlPort, PeerIdentity.Role.EDGE_PROXY);
    }
}
