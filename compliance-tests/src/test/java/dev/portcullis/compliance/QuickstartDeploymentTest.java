package dev.portcullis.compliance;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The README's first command, run as a new user would, brings up core (embedded PostgreSQL),
 * an edge-proxy and a gateway as separate processes; then the segmentation invariants are checked
 * on those real processes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class QuickstartDeploymentTest {

    private Quickstart quickstart;
    private Quickstart.Result firstStart;

    @BeforeAll
    void startDeployment() throws Exception {
        Path output = Path.of(System.getProperty("portcullis.test.output", "target/deployments"));
        quickstart = new Quickstart(output.resolve("quickstart-" + System.currentTimeMillis()).toAbsolutePath(), true);
        firstStart = quickstart.run("up");
    }

    @AfterAll
    void stopDeployment() throws Exception {
        if (quickstart != null) {
            quickstart.run("reset");
        }
    }

    @Test
    @Order(1)
    void quickstartEndsWithCoreProxyAndGatewayConnected() throws Exception {
        assertThat(firstStart.exitCode()).as(firstStart.output()).isZero();
        assertConnected(firstStart.output());

        Quickstart.Result status = quickstart.admin("status");
        assertThat(status.exitCode()).as(status.output()).isZero();
        assertConnected(status.output());
    }

    @Test
    @Order(2)
    void coreHasNoListeningSocketButTheInternalAdminAddress() throws Exception {
        long core = quickstart.pid("core");
        List<String> sockets = Sockets.listening(core).stream().map(Sockets.Endpoint::hostAndPort).toList();

        assertThat(sockets).as("sockets core listens on or has bound (from /proc)")
                .containsExactly("127.0.0.1:" + quickstart.adminPort);
    }

    @Test
    @Order(3)
    void coresEmbeddedDatabaseListensOnLoopbackOnly() throws Exception {
        // pg_ctl daemonizes the postmaster, so it is not core's descendant; its pid file names it.
        Path pidFile = quickstart.state.resolve("core/pgdata/postmaster.pid");
        long postmaster = Long.parseLong(java.nio.file.Files.readAllLines(pidFile).get(0).trim());
        List<Sockets.Endpoint> sockets = Sockets.listening(postmaster);

        assertThat(sockets).as("embedded PostgreSQL's sockets").isNotEmpty();
        assertThat(sockets).allSatisfy(endpoint ->
                assertThat(endpoint.address().isLoopbackAddress()).as(endpoint.toString()).isTrue());
    }

    @Test
    @Order(4)
    void aPublicRequestReachesCoreOnlyAsAMessageOnTheStreamCoreOpened() throws Exception {
        HttpResponse<String> health = get("https://127.0.0.1:" + quickstart.edgePublicPort + "/healthz");
        assertThat(health.statusCode()).isEqualTo(200);

        HttpResponse<String> ping = get("https://127.0.0.1:" + quickstart.edgePublicPort + "/api/v1/ping");
        assertThat(ping.statusCode()).as(ping.body()).isEqualTo(200);
        assertThat(ping.body()).contains("portcullis");
        assertThat(ping.headers().firstValue("content-security-policy")).isPresent();
    }

    @Test
    @Order(5)
    void theGatewayReportsItselfConnectedToCore() throws Exception {
        HttpResponse<String> health = get("http://127.0.0.1:" + quickstart.gatewayHealthPort + "/healthz");
        assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
    }

    @Test
    @Order(6)
    void aStoppedDeploymentResumesFromStoredCredentialsWithoutTokens() throws Exception {
        Quickstart.Result stop = quickstart.run("stop");
        assertThat(stop.exitCode()).as(stop.output()).isZero();
        assertThat(quickstart.state.resolve("edge-1.join-token")).doesNotExist();

        Quickstart.Result again = quickstart.run("up");
        assertThat(again.exitCode()).as(again.output()).isZero();
        assertConnected(again.output());
    }

    /**
     * The newcomer's promise on one machine: the quickstart enrolled a demo device in its own
     * namespace and printed the one command that brings its tunnel up with MFA. Before it the
     * device reaches nothing behind the gateway; a wrong code changes nothing; the printed command
     * (oathtool's code piped into the agent) brings the tunnel up, and the demo service answers
     * through it over TCP.
     */
    @Test
    @Order(7)
    void theDemoDeviceGetsItsTunnelOnlyWithThePrintedMfaCommand() throws Exception {
        java.util.regex.Matcher printed = java.util.regex.Pattern.compile("(?m)^\\s+(oathtool --totp .* up demo --code -)$")
                .matcher(firstStart.output());
        assertThat(printed.find()).as("the quickstart prints the demo device's up command:\n" + firstStart.output()).isTrue();
        String upCommand = printed.group(1);
        String curl = "ip netns exec " + quickstart.demoNamespace + " curl -s -m 2 http://" + Quickstart.DEMO_NET + ".6/";
        assertThat(firstStart.output()).as("the quickstart tells what to try after").contains(curl.replace(" -s -m 2", ""));

        assertThat(bash(curl).exitCode()).as("before MFA the demo device reaches nothing behind the gateway").isNotZero();
        Quickstart.Result wrong = bash("echo 000000 | " + upCommand.substring(upCommand.indexOf("| ") + 2));
        assertThat(wrong.exitCode()).as("a wrong code: " + wrong.output()).isNotZero();
        assertThat(wrong.output()).contains("did not match");
        assertThat(bash(curl).exitCode()).isNotZero();

        Quickstart.Result up = bash(upCommand);
        assertThat(up.exitCode()).as(up.output()).isZero();
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(15).toNanos();
        Quickstart.Result reached = bash(curl);
        while (reached.exitCode() != 0 && System.nanoTime() < deadline) {
            reached = bash(curl);
        }
        assertThat(reached.output()).as("after MFA the demo service answers through the tunnel")
                .contains("came through your WireGuard tunnel");
    }

    private Quickstart.Result bash(String command) throws Exception {
        return quickstart.shell(command);
    }

    private static void assertConnected(String output) {
        assertThat(output.lines().filter(l -> l.contains("edge-1") && l.contains("CONNECTED"))).as(output).hasSize(1);
        assertThat(output.lines().filter(l -> l.contains("gateway-1") && l.contains("CONNECTED"))).as(output).hasSize(1);
    }

    /** The quickstart's edge-proxy uses a self-signed public certificate; this client only talks to loopback. */
    private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new X509ExtendedTrustManager() {
                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType) {
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType) {
                }

                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType, java.net.Socket socket) {
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType, java.net.Socket socket) {
                }

                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType, javax.net.ssl.SSLEngine engine) {
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType, javax.net.ssl.SSLEngine engine) {
                }

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return new X509Certificate[0];
                }
            }}, new SecureRandom());
            HttpClient client = HttpClient.newBuilder().sslContext(context).connectTimeout(Duration.ofSeconds(5)).build();
            return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
