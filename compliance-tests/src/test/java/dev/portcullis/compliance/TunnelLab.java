package dev.portcullis.compliance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcullis.gateway.testnet.TestNetwork;
import dev.portcullis.gateway.testnet.TestNetwork.Namespace;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A location with a real gateway and devices in network namespaces, on the shared quickstart
 * deployment, for the tunnel-session tests. Each lab has its own index {@code k} (1–9), which picks
 * its address ranges, so labs of different test classes never overlap.
 * <pre>
 *   host ns: core, edge-1 (public HTTPS on 127.0.0.1), socat relays
 *      |  10.99.(20+k).0/30: core dials the gateway's control port at .2; devices get .2 as the endpoint
 *    [gw] gateway, wireguard-go, tunnel 10.(80+k).0.1/24, forwards
 *     |  \____ 10.(200+k).0.0/24 ____ [svc] .2: an HTTP server (TCP) and ping target behind the gateway
 *     |
 *   172.(16+d).k.0/24 underlay per device (gw .1, device .2)
 *    [dev], [thief], ...: the agent; "localhost" resolves (/etc/netns/NS/hosts) to the host end of the
 *     device's own link 10.99.(40+10d+k).0/30, where socat relays to the edge-proxy's public port,
 *     so the invite link's origin https://localhost:PORT works unchanged inside the namespace.
 * </pre>
 * Everything is removed on {@link #close()}, also after failures: processes, namespaces (with their
 * veth and TUN devices), the hosts files and the gateway's registration.
 */
final class TunnelLab implements AutoCloseable {

    static final Duration AGENT_TIMEOUT = Duration.ofSeconds(90);

    final EnrollmentDeployment deployment;
    final int k;
    final String location;
    final String pool;
    final String gatewayTunnel;
    final String service;
    final String gatewayName;
    final String gatewayHost;
    final TestNetwork net = new TestNetwork();
    final Namespace gw;
    final Namespace svc;
    final String gatewayInterface;
    private final List<Process> relays = new ArrayList<>();
    private final List<Path> hostsFiles = new ArrayList<>();
    private int devices;
    private Process gateway;
    private boolean registered;

    /** A device: its namespace and the state directory its agent uses. */
    record Device(Namespace namespace, Path state) {
        String ns() {
            return namespace.name();
        }
    }

    TunnelLab(EnrollmentDeployment deployment, int k, String location, String group, String... locationOptions) throws Exception {
        if (k < 1 || k > 9) {
            throw new IllegalArgumentException("lab index 1-9");
        }
        this.deployment = deployment;
        this.k = k;
        this.location = location;
        this.pool = "10." + (80 + k) + ".0.0/24";
        this.gatewayTunnel = "10." + (80 + k) + ".0.1";
        this.service = "10." + (200 + k) + ".0.2";
        this.gatewayName = "gw-tunnel-" + k;
        this.gatewayHost = "10.99." + (20 + k) + ".2";
        try {
            gatewayInterface = net.interfaceName("t");
            gw = net.namespace("gw");
            svc = net.namespace("svc");
            net.linkToHost(gw, "10.99." + (20 + k) + ".1/30", gatewayHost + "/30");
            net.link(gw, "10." + (200 + k) + ".0.1/24", svc, service + "/24");
            net.exec(gw, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
            net.exec(svc, "ip", "route", "add", pool, "via", "10." + (200 + k) + ".0.1");
            net.start(svc, deployment.work.resolve("lab" + k + "-http.log"), "/usr/bin/python3", "-m", "http.server",
                    "8080", "--bind", service);

            deployment.admin("group", "add", group);
            List<String> add = new ArrayList<>(List.of("--route", "10." + (200 + k) + ".0.0/24", "--group", group));
            add.addAll(List.of(locationOptions));
            deployment.addLocation(location, pool, add.toArray(String[]::new));
            startGateway();
            AdminHttp.Reply acl = deployment.adminHttp().put("/api/v1/locations/" + location + "/acl", Map.of(
                    "rules", List.of(Map.of("sources", List.of(pool), "destinations", List.of(service + "/32"), "protocol", "any")),
                    "masqueradeDestinations", List.of()));
            assertThat(acl.status()).as(String.valueOf(acl.body())).isEqualTo(200);
        } catch (Throwable e) {
            close();
            throw e;
        }
    }

    private void startGateway() throws Exception {
        AdminHttp admin = deployment.adminHttp();
        AdminHttp.Reply reply = admin.post("/api/v1/components",
                Map.of("name", gatewayName, "role", "gateway", "address", gatewayHost + ":7444"));
        assertThat(reply.status()).as(String.valueOf(reply.body())).isEqualTo(201);
        registered = true;
        Path token = deployment.work.resolve(gatewayName + ".token");
        Files.writeString(token, reply.body().get("joinToken").asText());
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        gateway = net.start(gw, deployment.work.resolve("gateway-" + gatewayName + ".log"), java, "-Xmx96m",
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", Artifacts.jar("gateway").toString(),
                "--control-listen", gatewayHost + ":7444", "--health-listen", "127.0.0.1:" + (9450 + k),
                "--state-dir", deployment.work.resolve("gateway-" + gatewayName).toString(),
                "--wg-interface", gatewayInterface, "--wg-listen-port", "51820", "--wg-implementation", "userspace",
                "--join-token-file", token.toString());
        EnrollmentDeployment.await(gatewayName + " connected to core", Duration.ofSeconds(90), () -> {
            for (JsonNode component : admin.get("/api/v1/components").body()) {
                if (gatewayName.equals(component.path("name").asText()) && component.toString().contains("CONNECTED")) {
                    return true;
                }
            }
            return false;
        });
        AdminHttp.Reply settings = admin.put("/api/v1/components/" + gatewayName + "/settings",
                Map.of("location", location, "tunnelAddresses", List.of(gatewayTunnel + "/24")));
        assertThat(settings.status()).as(String.valueOf(settings.body())).isEqualTo(200);
    }

    /**
     * A device namespace joined to the gateway by its own underlay and to the host by a link whose
     * host end relays HTTPS to the edge-proxy; its agent keeps state in {@code state}.
     */
    Device device(String role, Path state) throws Exception {
        int d = devices++;
        Namespace ns = net.namespace(role);
        String underlay = "172." + (16 + d) + "." + k + ".";
        net.link(gw, underlay + "1/24", ns, underlay + "2/24");
        net.exec(ns, "ip", "route", "add", "10.99." + (20 + k) + ".0/30", "via", underlay + "1");
        int third = 40 + 10 * d + k;
        String hostEnd = "10.99." + third + ".1";
        net.linkToHost(ns, hostEnd + "/30", "10.99." + third + ".2/30");

        Path hosts = Path.of("/etc/netns", ns.name(), "hosts");
        Files.createDirectories(hosts.getParent());
        hostsFiles.add(hosts);
        Files.writeString(hosts, hostEnd + " localhost\n");
        int port = deployment.quickstart.edgePublicPort;
        Process relay = new ProcessBuilder("socat", "TCP-LISTEN:" + port + ",bind=" + hostEnd + ",fork,reuseaddr",
                "TCP:127.0.0.1:" + port).redirectErrorStream(true)
                .redirectOutput(deployment.work.resolve("relay-" + ns.name() + ".log").toFile()).start();
        relays.add(relay);
        EnrollmentDeployment.await("the relay for " + role + " listening", Duration.ofSeconds(10), () ->
                net.tryExec(ns, "bash", "-c", "exec 3<>/dev/tcp/localhost/" + port).exitCode() == 0);
        return new Device(ns, state);
    }

    /** The agent on a device, {@code --json}, with {@code input} on its stdin. */
    AgentProcess.Result agent(Device device, String input, String... arguments) throws Exception {
        List<String> line = new ArrayList<>(List.of("--json"));
        line.addAll(List.of(arguments));
        return AgentProcess.runIn(device.ns(), device.state(), input, AGENT_TIMEOUT, line.toArray(String[]::new));
    }

    /** The peers (public keys, base64) on the gateway's WireGuard interface right now. */
    List<String> gatewayPeers() {
        String out = net.exec(gw, "wg", "show", gatewayInterface, "peers").strip();
        return out.isEmpty() ? List.of() : List.of(out.split("\\s+"));
    }

    /** The gateway's process id (its JVM: {@code ip netns exec} replaces itself with it), for benchmarks reading /proc. */
    long gatewayPid() {
        return gateway.pid();
    }

    /** The gateway's own WireGuard public key. */
    String gatewayPublicKey() {
        return net.exec(gw, "wg", "show", gatewayInterface, "public-key").strip();
    }

    /** One ping from the device to the service behind the gateway, waiting at most {@code waitSeconds}. */
    boolean ping(Device device, int waitSeconds) {
        return net.tryExec(device.namespace(), "ping", "-c", "1", "-W", Integer.toString(waitSeconds), service).exitCode() == 0;
    }

    /** An HTTP GET (TCP) from the device to the service behind the gateway. */
    boolean httpGet(Device device) {
        return net.tryExec(device.namespace(), "curl", "-s", "-o", "/dev/null", "-m", "3", "-w", "%{http_code}",
                "http://" + service + ":8080/").output().strip().equals("200");
    }

    /** Polls until the device reaches the service (the tunnel is up), at most {@code timeout}. */
    void awaitReachable(Device device, Duration timeout) throws Exception {
        EnrollmentDeployment.await("the service reachable through the tunnel from " + device.ns(), timeout,
                () -> ping(device, 1));
    }

    /** The device's WireGuard private key as the agent stored it at enrollment. */
    static String privateKey(Path state) throws IOException {
        return Files.readString(state.resolve("wireguard.key")).strip();
    }

    /**
     * What a thief does with copied key material and no second factor: configures a plain
     * wireguard-go interface with the device's private key and the gateway as peer (no preshared
     * key), sends traffic, and reports the handshake time the interface saw (0 = never).
     */
    long handshakeWithoutSession(Device device, String interfaceName, String address) throws Exception {
        Path key = Files.createTempFile(deployment.work, "stolen", ".key");
        try {
            Files.writeString(key, privateKey(device.state()) + "\n");
            net.exec(device.namespace(), "wireguard-go", interfaceName);
            net.exec(device.namespace(), "wg", "set", interfaceName, "private-key", key.toString(), "peer",
                    gatewayPublicKey(), "endpoint", gatewayHost + ":51820", "allowed-ips", pool + ",10." + (200 + k) + ".0.0/24",
                    "persistent-keepalive", "1");
            net.exec(device.namespace(), "ip", "address", "add", address, "dev", interfaceName);
            net.exec(device.namespace(), "ip", "link", "set", interfaceName, "up");
            net.tryExec(device.namespace(), "ip", "route", "replace", "10." + (200 + k) + ".0.0/24", "dev", interfaceName);
            // Bounded: three pings of one second each; WireGuard retries its handshake meanwhile.
            for (int i = 0; i < 3; i++) {
                ping(device, 1);
            }
            String handshakes = net.exec(device.namespace(), "wg", "show", interfaceName, "latest-handshakes").strip();
            String[] fields = handshakes.split("\\s+");
            return fields.length == 2 ? Long.parseLong(fields[1]) : 0;
        } finally {
            Files.deleteIfExists(key);
            net.tryExec(device.namespace(), "ip", "link", "delete", interfaceName);
        }
    }

    String logTails() {
        StringBuilder tails = new StringBuilder(deployment.logTails());
        try (Stream<Path> files = Files.list(deployment.work)) {
            for (Path log : files.filter(p -> p.getFileName().toString().startsWith("gateway-" + gatewayName))
                    .filter(Files::isRegularFile).sorted(Comparator.naturalOrder()).toList()) {
                List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
                tails.append("\n--- ").append(log.getFileName()).append(":\n")
                        .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())));
            }
        } catch (IOException e) {
            tails.append("\n(gateway log unreadable: ").append(e.getMessage()).append(')');
        }
        return tails.toString();
    }

    @Override
    public void close() throws Exception {
        try {
            for (Process relay : relays) {
                relay.destroyForcibly();
                relay.waitFor(5, TimeUnit.SECONDS);
            }
            if (gateway != null) {
                gateway.destroy();
            }
            net.close();
            for (Path hosts : hostsFiles) {
                Files.deleteIfExists(hosts);
                Files.deleteIfExists(hosts.getParent());
            }
        } finally {
            if (registered) {
                deployment.adminHttp().delete("/api/v1/components/" + gatewayName);
            }
        }
    }
}
