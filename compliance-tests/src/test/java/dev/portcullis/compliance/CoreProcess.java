package dev.portcullis.compliance;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Core's shipped jar run as a separate process, with its admin API on a free loopback port. */
final class CoreProcess implements AutoCloseable {

    /** Cold start includes initdb of the embedded PostgreSQL on a busy 2-core machine. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    final Path home;
    final int adminPort;
    private final Path log;
    private Process process;

    CoreProcess(Path home) throws IOException {
        this.home = home;
        this.adminPort = freePort();
        Files.createDirectories(home);
        this.log = home.resolveSibling(home.getFileName() + "-core.log");
    }

    void start() throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        process = new ProcessBuilder(List.of(java, "-Xmx256m", "-XX:+UseSerialGC", "-jar",
                Artifacts.jar("core").toString(), "--home", home.toString(), "--admin-host", "127.0.0.1",
                "--admin-port", Integer.toString(adminPort)))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("core exited with " + process.exitValue() + ":\n" + Files.readString(log));
            }
            try {
                HttpResponse<Void> health = client.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + adminPort + "/healthz")).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (health.statusCode() == 200 && Files.exists(home.resolve("admin-token"))) {
                    return;
                }
            } catch (IOException e) {
                // not up yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("core did not start within " + START_TIMEOUT + ":\n" + Files.readString(log));
    }

    String adminToken() throws IOException {
        return Files.readString(home.resolve("admin-token")).strip();
    }

    /** SIGTERM, then wait: core stops its embedded PostgreSQL on the way out. */
    void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    String log() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port on loopback", e);
        }
    }
}
