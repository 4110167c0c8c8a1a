package dev.portcullis.compliance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcullis.gateway.testnet.TestNetwork;
import dev.portcullis.gateway.testnet.TestNetwork.Namespace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The gateway's promise on real packets. Real processes: core (with embedded PostgreSQL) in the
 * test's namespace, the gateway jar inside a "gw" namespace driving a real wireguard-go interface
 * and nftables, a standard wg-configured device peer in a "dev" namespace, and a service host
 * behind the gateway in a "svc" namespace.
 * <pre>
 *   core (host ns) --10.99.7.0/30-- [gw] --192.0.2.0/24 (underlay)-- [dev]
 *                                    |
 *                               198.51.100.0/24
 *                                    |
 *                                  [svc]  iperf3 servers on :8080 (ACL allows) and :9090 (ACL does not)
 * </pre>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GatewayDataPlaneTest {

    private static final String LOCATION = "office";
    private static final String SERVICE = "198.51.100.2";
    private static final String GATEWAY_TUNNEL = "10.80.0.1";
    private static final String DEVICE_TUNNEL = "10.80.0.2";
    /** How long a path gets to come up (handshake) or go down, polled with bounded pings. */
    private static final Duration SETTLE = Duration.ofSeconds(15);

    private TestNetwork net;
    private Namespace gw;
    private Namespace dev;
    private Namespace svc;
    private Path work;
    private CoreProcess core;
    private AdminHttp admin;
    private Process gateway;
    private String gatewayInterface;
    private String deviceInterface;
    private String devicePublicKey;
    private String gatewayPublicKey;
    private final Map<Process, Path> probeLogs = new java.util.HashMap<>();

    @BeforeAll
    void buildTopology() throws Exception {
        work = Path.of(System.getProperty("portcullis.test.output", "target/deployments"))
                .resolve("dataplane-" + System.currentTimeMillis()).toAbsolutePath();
        Files.createDirectories(work);
        net = new TestNetwork();
        gatewayInterface = net.interfaceName("g");
        deviceInterface = net.interfaceName("d");
        gw = net.namespace("gw");
        dev = net.namespace("dev");
        svc = net.namespace("svc");
        net.linkToHost(gw, "10.99.7.1/30", "10.99.7.2/30");
        net.link(gw, "192.0.2.1/24", dev, "192.0.2.2/24");
        net.link(gw, "198.51.100.1/24", svc, SERVICE + "/24");
        net.exec(gw, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
        net.exec(svc, "ip", "route", "add", "10.80.0.0/24", "via", "198.51.100.1");
        net.start(svc, work.resolve("svc-8080.log"), "iperf3", "-s", "-B", SERVICE, "-p", "8080");
        net.start(svc, work.resolve("svc-9090.log"), "iperf3", "-s", "-B", SERVICE, "-p", "9090");

        core = new CoreProcess(work.resolve("core"));
        core.start();
        admin = new AdminHttp(core.adminPort, core.adminToken());
        startGateway();
        configureLocation();
        startDevice();
    }

    private void startGateway() throws Exception {
        AdminHttp.Reply registered = admin.post("/api/v1/components",
                Map.of("name", "gw-e2e", "role", "gateway", "address", "10.99.7.2:7444"));
        assertThat(registered.status()).as(String.valueOf(registered.body())).isEqualTo(201);
        Path token = work.resolve("gw.token");
        Files.writeString(token, registered.body().get("joinToken").asText());
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
        startGatewayProcess(token);
        gatewayPublicKey = net.exec(gw, "wg", "show", gatewayInterface, "public-key").strip();
    }

    /** Starts the gateway jar in its namespace (with a join token the first time only) and waits until connected. */
    private void startGatewayProcess(Path token) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new java.util.ArrayList<>(List.of(java, "-Xmx96m", "-XX:+UseSerialGC", "-jar",
                Artifacts.jar("gateway").toString(), "--control-listen", "10.99.7.2:7444",
                "--health-listen", "127.0.0.1:9444", "--state-dir", work.resolve("gateway-state").toString(),
                "--wg-interface", gatewayInterface, "--wg-listen-port", "51820", "--wg-implementation", "userspace"));
        if (token != null) {
            command.addAll(List.of("--join-token-file", token.toString()));
        }
        gateway = net.start(gw, work.resolve("gateway-" + System.nanoTime() + ".log"), command.toArray(String[]::new));
        awaitTrue("gateway connected to core", Duration.ofSeconds(90), () -> {
            AdminHttp.Reply list = admin.get("/api/v1/components");
            return list.body().toString().contains("CONNECTED");
        });
    }

    private void configureLocation() throws Exception {
        AdminHttp.Reply settings = admin.put("/api/v1/components/gw-e2e/settings",
                Map.of("location", LOCATION, "tunnelAddresses", List.of(GATEWAY_TUNNEL + "/24")));
        assertThat(settings.status()).as(String.valueOf(settings.body())).isEqualTo(200);
        AdminHttp.Reply acl = admin.put("/api/v1/locations/" + LOCATION + "/acl", Map.of(
                "rules", List.of(
                        Map.of("sources", List.of(DEVICE_TUNNEL + "/32"), "destinations", List.of(SERVICE + "/32"),
                                "protocol", "tcp", "ports", List.of("8080")),
                        Map.of("sources", List.of(DEVICE_TUNNEL + "/32"), "destinations", List.of(SERVICE + "/32"),
                                "protocol", "icmp")),
                "masqueradeDestinations", List.of()));
        assertThat(acl.status()).as(String.valueOf(acl.body())).isEqualTo(200);
    }

    /** A standard WireGuard peer, configured with wg only: it knows nothing of Portcullis. */
    private void startDevice() throws Exception {
        String privateKey = net.run("wg", "genkey").strip();
        Path keyFile = work.resolve("device.key");
        Files.writeString(keyFile, privateKey + "\n");
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
        devicePublicKey = pubkey(privateKey);
        net.exec(dev, "wireguard-go", deviceInterface);
        net.exec(dev, "wg", "set", deviceInterface, "private-key", keyFile.toString(), "peer", gatewayPublicKey,
                "endpoint", "192.0.2.1:51820", "allowed-ips", "10.80.0.0/24,198.51.100.0/24");
        net.exec(dev, "ip", "address", "add", DEVICE_TUNNEL + "/32", "dev", deviceInterface);
        net.exec(dev, "ip", "link", "set", deviceInterface, "up");
        net.exec(dev, "ip", "route", "add", "10.80.0.0/24", "dev", deviceInterface);
        net.exec(dev, "ip", "route", "add", "198.51.100.0/24", "dev", deviceInterface);
    }

    @AfterAll
    void tearDown() throws Exception {
        try {
            if (gateway != null) {
                gateway.destroy();
            }
            if (core != null) {
                core.stop();
            }
        } finally {
            if (net != null) {
                net.close();
            }
        }
    }

    // ---- the promise ------------------------------------------------------------------------

    @Test
    @Order(1)
    void beforeAdmissionTheGatewayStaysSilentToTheDevice() throws Exception {
        assertThat(ping(SERVICE)).as("ping before admission").isFalse();
        assertThat(ping(GATEWAY_TUNNEL)).as("ping the gateway before admission").isFalse();
        assertThat(latestHandshake()).as("handshakes answered before admission").isZero();
    }

    @Test
    @Order(2)
    void afterAdmitPingAndTcpPassThroughTheTunnel() throws Exception {
        admit(Duration.ofMinutes(10));

        awaitTrue("ping through the tunnel after admit", SETTLE, () -> ping(SERVICE));
        assertThat(latestHandshake()).isPositive();
        assertThat(tcpConnects(8080)).as("TCP to an allowed port").isTrue();
    }

    @Test
    @Order(3)
    void aDestinationTheAclDoesNotAllowIsDroppedWhileAnAllowedOnePasses() throws Exception {
        assertThat(tcpConnects(9090)).as("TCP to a port the ACL does not allow").isFalse();
        assertThat(tcpConnects(8080)).as("TCP to an allowed port, same host, same moment").isTrue();
    }

    @Test
    @Order(4)
    void afterEvictTrafficStops() throws Exception {
        AdminHttp.Reply evicted = admin.delete("/api/v1/locations/" + LOCATION + "/peers/"
                + Base64.getUrlEncoder().withoutPadding().encodeToString(Base64.getDecoder().decode(devicePublicKey)));
        assertThat(evicted.status()).as(String.valueOf(evicted.body())).isBetween(200, 204);

        awaitTrue("traffic stops after evict", SETTLE, () -> !ping(SERVICE));
        assertThat(gatewayPeers()).doesNotContain(devicePublicKey);
    }

    @Test
    @Order(5)
    void aGatewayRestartWithCoreUpConvergesToCoresTruthWhileUntouchedSessionsKeepFlowing() throws Exception {
        admit(Duration.ofMinutes(10));
        awaitTrue("ping through the tunnel after re-admission", SETTLE, () -> ping(SERVICE));
        String stale = otherPeer("10.80.0.20/32");
        String missing = otherPeer("10.80.0.21/32");
        // Drift on the gateway: a peer core admitted is gone from the device.
        net.exec(gw, "wg", "set", gatewayInterface, "peer", missing, "remove");
        Process probe = continuousPing(Duration.ofSeconds(20));

        gateway.destroy();
        assertThat(gateway.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).as("gateway stopped").isTrue();
        // Core's truth changes while the gateway is away: a session ends. (Admissions are refused
        // while a gateway of the location is away: the key is released only after every gateway acknowledged.)
        assertThat(admin.delete(peerPath(stale)).status()).isBetween(200, 204);
        startGatewayProcess(null);

        awaitTrue("gateway converged to core's peers", Duration.ofSeconds(60), () -> {
            String peers = gatewayPeers();
            return peers.contains(devicePublicKey) && peers.contains(missing) && !peers.contains(stale);
        });
        assertThat(lostPackets(probe)).as("pings lost on the untouched session during the gateway restart")
                .isLessThanOrEqualTo(1);
        assertThat(admin.delete(peerPath(missing)).status()).isBetween(200, 204);
    }

    @Test
    @Order(6)
    void aCoreRestartWithTheGatewayUpConvergesWithoutDisturbingSessions() throws Exception {
        // Drift only the gateway has (say, someone ran wg by hand): core's snapshot must remove it.
        String drift = net.run("wg", "genkey").strip();
        String driftPublic = pubkey(drift);
        net.exec(gw, "wg", "set", gatewayInterface, "peer", driftPublic, "allowed-ips", "10.80.0.30/32");
        Process probe = continuousPing(Duration.ofSeconds(25));

        core.stop();
        core.start();

        awaitTrue("core's snapshot removed the drift", Duration.ofSeconds(60),
                () -> !gatewayPeers().contains(driftPublic));
        assertThat(gatewayPeers()).contains(devicePublicKey);
        assertThat(lostPackets(probe)).as("pings lost on the untouched session during the core restart")
                .isLessThanOrEqualTo(1);
    }

    @Test
    @Order(7)
    void atNotAfterTheGatewayEvictsByItselfWithCoreStopped() throws Exception {
        // Core's shortest session is a minute (a product floor, not a test knob); so this test waits one.
        Instant notAfter = admit(Duration.ofSeconds(60));
        awaitTrue("ping through the tunnel after the second admit", SETTLE, () -> ping(SERVICE));

        core.stop();
        assertThat(gatewayPeers()).as("peer still admitted while its session lasts").contains(devicePublicKey);
        assertThat(ping(SERVICE)).as("ping with core stopped, before not_after").isTrue();
        awaitTrue("not_after passes", Duration.ofSeconds(90), () -> Instant.now().isAfter(notAfter.plusSeconds(1)));

        awaitTrue("gateway removed the peer by itself", SETTLE, () -> !gatewayPeers().contains(devicePublicKey));
        assertThat(ping(SERVICE)).as("ping after not_after with core stopped").isFalse();
    }

    // ---- helpers -------------------------------------------------------------------------------

    /** Admits the device through core and configures the session's preshared key on the device. */
    private Instant admit(Duration lifetime) throws Exception {
        AdminHttp.Reply admitted = admin.post("/api/v1/locations/" + LOCATION + "/peers", Map.of(
                "publicKey", devicePublicKey, "allowedIps", List.of(DEVICE_TUNNEL + "/32"),
                "lifetimeSeconds", lifetime.toSeconds()));
        assertThat(admitted.status()).as(String.valueOf(admitted.body())).isEqualTo(201);
        JsonNode body = admitted.body();
        for (JsonNode gatewayAck : body.get("gateways")) {
            assertThat(gatewayAck.get("acknowledged").asBoolean()).as(gatewayAck.toString()).isTrue();
        }
        Path psk = work.resolve("session.psk");
        Files.writeString(psk, body.get("presharedKey").asText() + "\n");
        Files.setPosixFilePermissions(psk, PosixFilePermissions.fromString("rw-------"));
        net.exec(dev, "wg", "set", deviceInterface, "peer", gatewayPublicKey, "preshared-key", psk.toString());
        return Instant.parse(body.get("notAfter").asText());
    }

    /** Admits a peer for which no device runs (its key is generated here); returns its public key. */
    private String otherPeer(String allowedIp) throws Exception {
        String publicKey = pubkey(net.run("wg", "genkey").strip());
        AdminHttp.Reply admitted = admin.post("/api/v1/locations/" + LOCATION + "/peers", Map.of(
                "publicKey", publicKey, "allowedIps", List.of(allowedIp), "lifetimeSeconds", 600));
        assertThat(admitted.status()).as(String.valueOf(admitted.body())).isEqualTo(201);
        return publicKey;
    }

    private static String peerPath(String publicKeyBase64) {
        return "/api/v1/locations/" + LOCATION + "/peers/"
                + Base64.getUrlEncoder().withoutPadding().encodeToString(Base64.getDecoder().decode(publicKeyBase64));
    }

    /** Pings the service every 200 ms for the given time from the device, in the background. */
    private Process continuousPing(Duration duration) throws IOException {
        Path log = work.resolve("probe-" + System.nanoTime() + ".log");
        Process probe = net.start(dev, log, "ping", "-i", "0.2", "-W", "1", "-c",
                Long.toString(duration.toMillis() / 200), SERVICE);
        probeLogs.put(probe, log);
        return probe;
    }

    /** Waits for a continuous ping to finish and returns how many replies were missing. */
    private int lostPackets(Process probe) throws Exception {
        assertThat(probe.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).as("probe finished").isTrue();
        String output = Files.readString(probeLogs.get(probe));
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("(\\d+) packets transmitted, (\\d+) received").matcher(output);
        assertThat(m.find()).as("ping summary in: " + output).isTrue();
        return Integer.parseInt(m.group(1)) - Integer.parseInt(m.group(2));
    }

    private boolean ping(String address) {
        return net.tryExec(dev, "ping", "-c", "2", "-i", "0.3", "-W", "1", address).exitCode() == 0;
    }

    private boolean tcpConnects(int port) {
        return net.tryExec(dev, "timeout", "3", "bash", "-c",
                "exec 3<>/dev/tcp/" + SERVICE + "/" + port).exitCode() == 0;
    }

    private long latestHandshake() {
        String line = net.exec(dev, "wg", "show", deviceInterface, "latest-handshakes").strip();
        return line.isEmpty() ? 0 : Long.parseLong(line.split("\\s+")[1]);
    }

    private String gatewayPeers() {
        return net.exec(gw, "wg", "show", gatewayInterface, "peers");
    }

    private String pubkey(String privateKey) throws IOException, InterruptedException {
        Process process = new ProcessBuilder("wg", "pubkey").redirectErrorStream(true).start();
        process.getOutputStream().write((privateKey + "\n").getBytes());
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes()).strip();
        process.waitFor();
        return out;
    }

    @FunctionalInterface
    private interface Check {
        boolean holds() throws Exception;
    }

    private void awaitTrue(String what, Duration timeout, Check check) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (check.holds()) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("timed out after " + timeout.toSeconds() + " s: " + what + "\n--- gateway log:\n"
                + gatewayLogs()
                + "\n--- core log (tail):\n" + tail(core.log()));
    }

    private String gatewayLogs() throws IOException {
        StringBuilder logs = new StringBuilder();
        try (var files = Files.list(work)) {
            for (Path log : files.filter(p -> p.getFileName().toString().startsWith("gateway-")
                    && p.getFileName().toString().endsWith(".log")).sorted().toList()) {
                logs.append(tail(Files.readString(log)));
            }
        }
        return logs.toString();
    }

    private static String tail(String text) {
        return text.length() > 4000 ? text.substring(text.length() - 4000) : text;
    }
}
