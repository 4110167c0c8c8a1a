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
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A complete Portcullis deployment cut into the zones of ARCHITECTURE.md, each a network
 * namespace, with the same shipped jars the quickstart runs: the deployment the compliance
 * evidence is taken from, and (built with a deliberately broken setting) the throwaway deployment
 * that shows each check can fail.
 * <pre>
 *  [private]  core + its embedded PostgreSQL; admin API on 127.0.0.1:8080 inside the zone
 *     | P.1.1 ── P.1.2   core dials the components' control ports here (never the other way)
 *  [dmz]      edge-proxy (control P.1.2:7443, public HTTPS P.2.1:8443) and
 *     |       gateway (control P.1.2:7444, WireGuard UDP 51820, devices dial P.2.1), forwards
 *     | P.2.1 ── P.2.2          \__ P.4.1 ── P.4.2 [services]: a web server behind the gateway
 *  [internet] routes to the DMZ's and the private zone's networks; the port scan runs here
 *     | P.3.1 ── P.3.2
 *  [device]   portcullis-agent (default route via the internet)
 *  (this test's own namespace joins the internet at P.9.1, to enroll and to reach the public HTTPS)
 * </pre>
 * The DMZ routes between the zones without a firewall, on purpose: a scan from the internet then
 * shows what core itself offers, not what a firewall would hide. Core's admin API is reached from
 * this test only through a relay over a UNIX socket (the operator's console), which is no network
 * path any zone could use; so is core's database, for the throwaway deployment's deliberate breaks.
 * <p>
 * Everything is removed on {@link #close()}, also after failures: processes, namespaces, relays.
 */
final class SegmentedDeployment implements AutoCloseable {

    static final int ADMIN_PORT = 8080;
    static final int EDGE_CONTROL_PORT = 7443;
    static final int GATEWAY_CONTROL_PORT = 7444;
    static final int EDGE_PUBLIC_PORT = 8443;
    static final int GATEWAY_HEALTH_PORT = 9444;
    static final int WIREGUARD_PORT = 51820;
    static final int SERVICE_PORT = 8080;
    static final String LOCATION = "office";
    static final String GROUP = "staff";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(150);

    /** How to start core: its admin API's address in the private zone (the throwaway deployment uses the zone's address). */
    record Options(String name, String prefix, String poolPrefix, boolean adminOnZoneAddress) {
    }

    final Options options;
    final Path work;
    final TestNetwork net = new TestNetwork();
    final Namespace privateZone;
    final Namespace dmz;
    final Namespace internet;
    final Namespace device;
    final Namespace services;
    final String coreAddress;
    final String dmzPrivateAddress;
    final String dmzPublicAddress;
    final String internetAddress;
    final String testAddress;
    final String serviceAddress;
    final String pool;
    final String gatewayTunnel;
    final String origin;
    final String gatewayInterface;
    private final List<Process> relays = new ArrayList<>();
    private Process core;
    private Process edge;
    private Process gateway;
    private int adminRelayPort;
    private int databasePort;
    private int databaseRelayPort;
    private AdminHttp adminHttp;

    private SegmentedDeployment(Options options) throws IOException {
        this.options = options;
        this.work = Path.of(System.getProperty("portcullis.test.output", "target/deployments"))
                .resolve(options.name() + "-" + System.currentTimeMillis()).toAbsolutePath();
        Files.createDirectories(work);
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwx------"));
        String p = options.prefix();
        coreAddress = p + ".1.1";
        dmzPrivateAddress = p + ".1.2";
        dmzPublicAddress = p + ".2.1";
        internetAddress = p + ".2.2";
        serviceAddress = p + ".4.2";
        testAddress = p + ".9.1";
        pool = options.poolPrefix() + ".0/24";
        gatewayTunnel = options.poolPrefix() + ".1";
        origin = "https://" + dmzPublicAddress + ":" + EDGE_PUBLIC_PORT;
        privateZone = net.namespace("priv");
        dmz = net.namespace("dmz");
        internet = net.namespace("inet");
        device = net.namespace("dev");
        services = net.namespace("svc");
        gatewayInterface = net.interfaceName("s");
    }

    /** Builds the zones and starts core, edge-proxy, gateway and the service; a location "office" is ready for devices. */
    static SegmentedDeployment start(Options options) throws Exception {
        SegmentedDeployment deployment = new SegmentedDeployment(options);
        try {
            long started = System.nanoTime();
            deployment.network();
            deployment.startCore();
            deployment.adopt();
            System.out.printf("segmented deployment %s up in %.1f s%n", options.name(), (System.nanoTime() - started) / 1e9);
            return deployment;
        } catch (Throwable e) {
            System.out.println(deployment.logTails());
            deployment.close();
            throw e;
        }
    }

    private void network() throws IOException {
        String p = options.prefix();
        net.link(privateZone, coreAddress + "/24", dmz, dmzPrivateAddress + "/24");
        net.link(dmz, dmzPublicAddress + "/24", internet, internetAddress + "/24");
        net.link(internet, p + ".3.1/24", device, p + ".3.2/24");
        net.link(dmz, p + ".4.1/24", services, serviceAddress + "/24");
        net.linkToHost(internet, testAddress + "/24", p + ".9.2/24");
        net.exec(privateZone, "ip", "route", "add", "default", "via", dmzPrivateAddress);
        net.exec(dmz, "ip", "route", "add", "default", "via", internetAddress);
        net.exec(device, "ip", "route", "add", "default", "via", p + ".3.1");
        net.exec(internet, "ip", "route", "add", p + ".1.0/24", "via", dmzPublicAddress);
        net.exec(services, "ip", "route", "add", pool, "via", p + ".4.1");
        net.run("ip", "route", "add", p + ".2.0/24", "via", p + ".9.2");
        net.exec(dmz, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
        net.exec(internet, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
        // Closed UDP ports answer with ICMP port unreachable; unthrottled, a full UDP scan of core takes seconds, not hours.
        // (net.ipv4.icmp_msgs_per_sec and _burst are per namespace too, and cap every ICMP answer.)
        net.exec(privateZone, "sysctl", "-q", "-w", "net.ipv4.icmp_ratelimit=0");
        net.exec(privateZone, "sysctl", "-q", "-w", "net.ipv4.icmp_msgs_per_sec=100000");
        net.exec(privateZone, "sysctl", "-q", "-w", "net.ipv4.icmp_msgs_burst=100000");
        net.start(services, work.resolve("service.log"), "/usr/bin/python3", "-m", "http.server",
                Integer.toString(SERVICE_PORT), "--bind", serviceAddress, "--directory", Files.createDirectories(work.resolve("www")).toString());
    }

    // ---- core, in the private zone -------------------------------------------------------------------

    Path coreHome() {
        return work.resolve("core");
    }

    void startCore() throws Exception {
        String adminHost = options.adminOnZoneAddress() ? coreAddress : "127.0.0.1";
        core = net.start(privateZone, work.resolve("core-" + System.currentTimeMillis() + ".log"), java(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:MaxMetaspaceSize=128m", "-jar", Artifacts.jar("core").toString(),
                "--home", coreHome().toString(), "--admin-host", adminHost, "--admin-port", Integer.toString(ADMIN_PORT));
        if (adminRelayPort == 0) {
            adminRelayPort = CoreProcess.freePort();
        }
        relay("admin", adminHost, ADMIN_PORT, adminRelayPort);
        EnrollmentDeployment.await("core's admin API in the private zone", START_TIMEOUT, () -> {
            if (!core.isAlive()) {
                throw new AssertionError("core exited with " + core.exitValue() + "\n" + logTails());
            }
            return Files.exists(coreHome().resolve("admin-token")) && status("/healthz") == 200;
        });
        adminHttp = null;
    }

    /** Stops core (SIGTERM; it stops its PostgreSQL on the way out). The edge-proxy and the gateway keep running. */
    void stopCore() throws Exception {
        core.destroy();
        if (!core.waitFor(60, TimeUnit.SECONDS)) {
            core.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Starts core again and waits until both components are connected to it. */
    void resumeCore() throws Exception {
        startCore();
        awaitConnected("edge-1", "gateway-1");
    }

    long corePid() {
        return core.pid();
    }

    long edgePid() {
        return edge.pid();
    }

    long gatewayPid() {
        return gateway.pid();
    }

    Path edgeState() {
        return work.resolve("edge-1");
    }

    private Path gatewayState() {
        return work.resolve("gateway-1");
    }

    /**
     * A relay on this test's loopback to an address inside the private zone, through a UNIX socket:
     * {@code socat} in the zone connects the socket to the address, another in this namespace
     * listens on {@code 127.0.0.1:localPort}. No zone gains a network path by it.
     */
    private void relay(String name, String host, int port, int localPort) throws IOException {
        Path socket = work.resolve(name + ".sock");
        Files.deleteIfExists(socket);
        relays.add(net.start(privateZone, work.resolve("relay-" + name + ".log"), "socat",
                "UNIX-LISTEN:" + socket + ",fork,mode=600", "TCP:" + host + ":" + port));
        relays.add(new ProcessBuilder("socat", "TCP-LISTEN:" + localPort + ",bind=127.0.0.1,fork,reuseaddr",
                "UNIX-CONNECT:" + socket).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("relay-" + name + "-host.log").toFile())).start());
    }

    /**
     * Core's PostgreSQL on this test's loopback (through the same kind of relay), as
     * {@code jdbc:postgresql://127.0.0.1:PORT/portcullis} with user postgres and core's database
     * password: only the throwaway deployment uses it, to break controls on purpose.
     */
    java.sql.Connection database() throws Exception {
        Path pgdata = coreHome().resolve("pgdata");
        int port = Integer.parseInt(Files.readAllLines(pgdata.resolve("postmaster.pid")).get(3).strip());
        if (port != databasePort) {
            databaseRelayPort = CoreProcess.freePort();
            relay("postgres-" + port, "127.0.0.1", port, databaseRelayPort);
            databasePort = port;
        }
        String password = Files.readString(coreHome().resolve("db-password"), StandardCharsets.US_ASCII).strip();
        java.sql.Connection[] opened = new java.sql.Connection[1];
        EnrollmentDeployment.await("core's database through the relay", Duration.ofSeconds(20), () -> {
            try {
                opened[0] = java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + databaseRelayPort + "/portcullis",
                        "postgres", password);
                return true;
            } catch (java.sql.SQLException e) {
                return false; // the relay is not listening yet
            }
        });
        return opened[0];
    }

    private int status(String path) {
        try {
            return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create("http://127.0.0.1:" + adminRelayPort + path)).timeout(Duration.ofSeconds(3)).build(),
                    java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    AdminHttp adminHttp() throws IOException {
        if (adminHttp == null) {
            adminHttp = new AdminHttp(adminRelayPort, Files.readString(coreHome().resolve("admin-token")).strip());
        }
        return adminHttp;
    }

    /** {@code bin/portcullis-admin ARGS} against this deployment (through the console relay), whatever its exit code. */
    Quickstart.Result admin(String... arguments) throws Exception {
        List<String> line = new ArrayList<>(List.of(Artifacts.root().resolve("bin/portcullis-admin").toString()));
        line.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(line).redirectErrorStream(true);
        builder.environment().put("PORTCULLIS_HOME", coreHome().toString());
        builder.environment().put("PORTCULLIS_ADMIN_URL", "http://127.0.0.1:" + adminRelayPort);
        builder.environment().put("PORTCULLIS_BUILD_DIR", System.getProperty("portcullis.build.dir", "target"));
        Path output = Files.createTempFile(work, "admin", ".out");
        try {
            Process process = builder.redirectOutput(output.toFile()).start();
            if (!process.waitFor(3, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new AssertionError("portcullis-admin " + String.join(" ", arguments) + " did not finish in 3 minutes");
            }
            return new Quickstart.Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(output);
        }
    }

    /** {@code bin/portcullis-admin ARGS}, failing the test on a non-zero exit. */
    String adminOk(String... arguments) throws Exception {
        Quickstart.Result result = admin(arguments);
        assertThat(result.exitCode()).as("portcullis-admin " + String.join(" ", arguments) + ":\n" + result.output()).isZero();
        return result.output();
    }

    // ---- the DMZ: edge-proxy and gateway, adopted by core ----------------------------------------------

    private void adopt() throws Exception {
        AdminHttp admin = adminHttp();
        Path edgeToken = register("edge-1", "edge-proxy", EDGE_CONTROL_PORT);
        Path gatewayToken = register("gateway-1", "gateway", GATEWAY_CONTROL_PORT);
        put("/api/v1/components/edge-1/settings", Map.of("publicOrigin", origin));
        edge = net.start(dmz, work.resolve("edge-1.log"), java(), "-Xmx96m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-jar", Artifacts.jar("edge-proxy").toString(), "--state-dir", edgeState().toString(),
                "--control-listen", dmzPrivateAddress + ":" + EDGE_CONTROL_PORT,
                "--public-listen", dmzPublicAddress + ":" + EDGE_PUBLIC_PORT, "--join-token-file", edgeToken.toString());
        gateway = net.start(dmz, work.resolve("gateway-1.log"), java(), "-Xmx96m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-jar", Artifacts.jar("gateway").toString(), "--state-dir", gatewayState().toString(),
                "--control-listen", dmzPrivateAddress + ":" + GATEWAY_CONTROL_PORT,
                "--health-listen", "127.0.0.1:" + GATEWAY_HEALTH_PORT, "--wg-interface", gatewayInterface,
                "--wg-listen-port", Integer.toString(WIREGUARD_PORT), "--wg-implementation", "userspace",
                "--join-token-file", gatewayToken.toString());
        awaitConnected("edge-1", "gateway-1");
        Files.deleteIfExists(edgeToken);
        Files.deleteIfExists(gatewayToken);

        AdminHttp.Reply group = admin.post("/api/v1/groups", Map.of("name", GROUP));
        assertThat(group.status()).as(String.valueOf(group.body())).isEqualTo(201);
        adminOk("location", "add", LOCATION, "--pool", pool, "--route", options.prefix() + ".4.0/24", "--group", GROUP,
                "--mfa", "totp");
        put("/api/v1/components/gateway-1/settings", Map.of("location", LOCATION,
                "tunnelAddresses", List.of(gatewayTunnel + "/24"), "deviceEndpoint", dmzPublicAddress));
        put("/api/v1/locations/" + LOCATION + "/acl", Map.of(
                "rules", List.of(Map.of("sources", List.of(pool), "destinations", List.of(serviceAddress + "/32"),
                        "protocol", "any")),
                "masqueradeDestinations", List.of()));
    }

    private Path register(String name, String role, int port) throws Exception {
        AdminHttp.Reply reply = adminHttp().post("/api/v1/components",
                Map.of("name", name, "role", role, "address", dmzPrivateAddress + ":" + port));
        assertThat(reply.status()).as(String.valueOf(reply.body())).isEqualTo(201);
        Path token = work.resolve(name + ".join-token");
        Files.writeString(token, reply.body().get("joinToken").asText());
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
        return token;
    }

    private void put(String path, Object body) throws Exception {
        AdminHttp.Reply reply = adminHttp().put(path, body);
        assertThat(reply.status()).as(path + ": " + reply.body()).isEqualTo(200);
    }

    void awaitConnected(String... components) throws Exception {
        EnrollmentDeployment.await(String.join(" and ", components) + " connected to core", START_TIMEOUT, () -> {
            int connected = 0;
            for (JsonNode component : adminHttp().get("/api/v1/components").body()) {
                if (List.of(components).contains(component.path("name").asText()) && component.toString().contains("CONNECTED")) {
                    connected++;
                }
            }
            return connected == components.length;
        });
    }

    /**
     * A TLS terminator in the DMZ in front of one of the deployment's listeners, as an operator might
     * put a load balancer there: {@code socat} with its own self-signed certificate, listening on
     * {@code bind:port} with the given socat OpenSSL options (e.g. legacy protocol versions, or
     * {@code verify=0}: no client certificate asked for), passing the bytes on to {@code upstream}.
     * Only the throwaway deployment has one. Returns its address as {@code host:port}.
     */
    String tlsFront(String name, String bind, int port, String upstream, String... openSslOptions) throws Exception {
        Path dir = Files.createDirectories(work.resolve("front-" + name));
        net.run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", dir.resolve("key.pem").toString(), "-out", dir.resolve("cert.pem").toString(),
                "-subj", "/CN=" + name, "-days", "1");
        String listen = "OPENSSL-LISTEN:" + port + ",bind=" + bind + ",reuseaddr,fork,cert=" + dir.resolve("cert.pem")
                + ",key=" + dir.resolve("key.pem") + (openSslOptions.length == 0 ? "" : "," + String.join(",", openSslOptions));
        net.start(dmz, work.resolve("front-" + name + ".log"), "socat", listen, "TCP:" + upstream);
        EnrollmentDeployment.await("the TLS front " + name + " listening", Duration.ofSeconds(10), () ->
                net.tryExec(dmz, "bash", "-c", "exec 3<>/dev/tcp/" + bind + "/" + port).exitCode() == 0);
        return bind + ":" + port;
    }

    // ---- users and devices -------------------------------------------------------------------------------

    void addUser(String name, String email, String displayName) throws Exception {
        AdminHttp.Reply created = adminHttp().post("/api/v1/users",
                Map.of("name", name, "email", email, "displayName", displayName, "groups", List.of(GROUP)));
        assertThat(created.status()).as("user " + name + ": " + created.body()).isEqualTo(201);
    }

    /** A fresh invite link for the user (on the edge-proxy's public origin). */
    EnrollmentDeployment.Invite invite(String user) throws Exception {
        AdminHttp.Reply issued = adminHttp().post("/api/v1/users/" + user + "/invites", Map.of());
        assertThat(issued.status()).as("invite for " + user + ": " + issued.body()).isEqualTo(201);
        String link = issued.body().path("link").asText();
        java.util.regex.Matcher m = EnrollmentDeployment.INVITE_LINK.matcher(link);
        assertThat(m.matches()).as("an invite link: " + link).isTrue();
        assertThat(link).startsWith(origin + "/enroll/");
        return new EnrollmentDeployment.Invite(link, m.group(1), m.group(2), issued.body().toString());
    }

    /** A client of the edge-proxy's public HTTPS from this test's address on the internet, trusting only its certificate. */
    EdgeClient edge() throws IOException {
        List<java.security.cert.X509Certificate> chain = EdgeClient.presentedChain(dmzPublicAddress, EDGE_PUBLIC_PORT);
        return new EdgeClient(dmzPublicAddress, EDGE_PUBLIC_PORT, EdgeClient.pinned(EdgeClient.pinOf(chain.get(chain.size() - 1))),
                testAddress);
    }

    /** The gateway's WireGuard peers (base64 public keys) right now. */
    List<String> gatewayPeers() {
        String out = net.exec(dmz, "wg", "show", gatewayInterface, "peers").strip();
        return out.isEmpty() ? List.of() : List.of(out.split("\\s+"));
    }

    /** Every record of the audit log, through the admin API (JSON lines, page by page). */
    List<JsonNode> auditRecords() throws Exception {
        return adminHttp().auditRecords();
    }

    String logTails() {
        StringBuilder tails = new StringBuilder();
        try (Stream<Path> files = Files.list(work)) {
            for (Path log : files.filter(p -> p.getFileName().toString().endsWith(".log")).sorted().toList()) {
                List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
                tails.append("\n--- ").append(log.getFileName()).append(":\n")
                        .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())));
            }
        } catch (IOException e) {
            tails.append("\n(logs unreadable: ").append(e.getMessage()).append(')');
        }
        return tails.toString();
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    @Override
    public void close() {
        try {
            for (Process relay : relays) {
                relay.destroyForcibly();
            }
            if (core != null && core.isAlive()) {
                // SIGTERM first, so core stops its PostgreSQL; the network's close kills what is left.
                core.destroy();
                core.waitFor(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            net.close();
        }
    }
}
