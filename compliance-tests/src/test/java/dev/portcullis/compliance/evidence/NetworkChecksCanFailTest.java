package dev.portcullis.compliance.evidence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.compliance.EvidenceTargets;
import dev.portcullis.gateway.testnet.TestNetwork;
import dev.portcullis.gateway.testnet.TestNetwork.Namespace;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The network checks can pass and can fail: each runs against real stand-ins (a Python listener,
 * openssl s_server) in network namespaces of their own, probed from another namespace, and must say
 * PASS for the sound one and FAIL, naming what is wrong, for each broken one. Only addresses in
 * 10.66.0.0/16 inside namespaces this test made are ever probed; the namespaces and everything
 * started in them are removed after each test, whatever its outcome.
 */
class NetworkChecksCanFailTest {

    /** A stand-in gets this long to bind its socket. */
    private static final Duration READY_WITHIN = Duration.ofSeconds(30);
    /** Debian's interpreter (scripts/install-os-packages), not a user's shim: its pid is the listener's. */
    private static final String PYTHON = "/usr/bin/python3";

    private static final String INTERNET_TO_CORE = "10.66.1.1/24";
    private static final String CORE = "10.66.1.2";
    private static final String INTERNET_TO_EDGE = "10.66.2.1/24";
    private static final String EDGE = "10.66.2.2";
    private static final String CLIENT = "10.66.3.1/24";
    private static final String TLS_SERVER = "10.66.3.2";
    /** The edge's public HTTPS port: the positive control of the scan. */
    private static final int REFERENCE_PORT = 443;
    private static final int STRAY_TCP_PORT = 8081;
    private static final int STRAY_UDP_PORT = 5353;

    private TestNetwork network;

    @BeforeEach
    void createNetwork() {
        network = new TestNetwork();
    }

    @AfterEach
    void removeNetwork() {
        network.close();
    }

    // ---- PC-07 ------------------------------------------------------------------------------------------

    @Test
    void aCoreWithNothingListeningPassesTheScanWhileTheReferenceIsOpen(@TempDir Path dir) throws Exception {
        Zones zones = zones();
        listen(zones.edge(), dir, REFERENCE_PORT, PYTHON, "-m", "http.server", "--bind", "0.0.0.0", "--directory",
                dir.toString(), Integer.toString(REFERENCE_PORT));

        Check check = timed(NetworkChecks.coreUnreachableFromTheInternet(zones.internet(), CORE, EDGE, REFERENCE_PORT));

        assertThat(check.result()).as(check.reason() + "\n" + check.observations()).isEqualTo(Check.Result.PASS);
        assertThat(check.reason()).contains("65535 closed of 65535 TCP port(s)", "65535 closed of 65535 UDP port(s)");
        assertThat(check.observations().toString()).contains("nmap -n -Pn -sT -p-", "nmap -n -Pn -sU -p-",
                "Nmap version", "ip netns exec " + zones.internetNamespace());
    }

    @Test
    void aTcpListenerOnAllOfCoresInterfacesFailsTheScanNamingItsPort(@TempDir Path dir) throws Exception {
        Zones zones = zones();
        listen(zones.edge(), dir, REFERENCE_PORT, PYTHON, "-m", "http.server", "--bind", "0.0.0.0", "--directory",
                dir.toString(), Integer.toString(REFERENCE_PORT));
        listen(zones.core(), dir, STRAY_TCP_PORT, PYTHON, "-m", "http.server", "--bind", "0.0.0.0", "--directory",
                dir.toString(), Integer.toString(STRAY_TCP_PORT));

        Check check = timed(NetworkChecks.coreUnreachableFromTheInternet(zones.internet(), CORE, EDGE, REFERENCE_PORT));

        assertFailedBecause(check, "1 TCP port(s) of core " + CORE + " open from the internet zone: " + STRAY_TCP_PORT + "/tcp");
    }

    @Test
    void aSilentUdpListenerOnCoreFailsTheScanAsNotProvenClosed(@TempDir Path dir) throws Exception {
        Zones zones = zones();
        listen(zones.edge(), dir, REFERENCE_PORT, PYTHON, "-m", "http.server", "--bind", "0.0.0.0", "--directory",
                dir.toString(), Integer.toString(REFERENCE_PORT));
        listen(zones.core(), dir, STRAY_UDP_PORT, PYTHON, "-c", "import socket, time\n"
                + "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                + "s.bind(('0.0.0.0', " + STRAY_UDP_PORT + "))\n"
                + "time.sleep(600)\n");

        Check check = timed(NetworkChecks.coreUnreachableFromTheInternet(zones.internet(), CORE, EDGE, REFERENCE_PORT));

        assertFailedBecause(check, "gave no answer (open|filtered), so they are not proven closed: " + STRAY_UDP_PORT + "/udp");
        assertThat(check.reason()).doesNotContain("TCP port(s) of core");
    }

    @Test
    void aClosedReferencePortFailsTheScanBecauseItShowsItReachesNothing() throws Exception {
        Zones zones = zones();

        Check check = timed(NetworkChecks.coreUnreachableFromTheInternet(zones.internet(), CORE, EDGE, REFERENCE_PORT));

        assertFailedBecause(check, "the scan does not show it reaches anything: the reference " + EDGE + ":" + REFERENCE_PORT
                + "/tcp, open to the internet, is closed from the internet zone, not open; core was not scanned");
        assertThat(check.observations().toString()).doesNotContain("-p-");
    }

    /** What nmap 7.93 writes when it gives up on a host (--host-timeout): no port at all, so nothing is proven. */
    @Test
    void aScanNmapGaveUpOnIsIncompleteAndAPortListedOpenIsCounted() {
        CommandResult ran = new CommandResult(List.of("nmap"), 0, "Skipping host 10.66.1.2 due to host timeout");
        NetworkChecks.PortScan timedOut = NetworkChecks.read(ran, "tcp", NetworkChecks.ALL_PORTS, """
                <?xml version="1.0" encoding="UTF-8"?>
                <!DOCTYPE nmaprun>
                <nmaprun scanner="nmap" version="7.93" xmloutputversion="1.05">
                <scaninfo type="connect" protocol="tcp" numservices="65535" services="1-65535"/>
                <host starttime="1795394991" endtime="1795394996" timedout="true"><status state="up" reason="user-set"/>
                <address addr="10.66.1.2" addrtype="ipv4"/>
                </host>
                <runstats><finished time="1795394996" elapsed="5.07" exit="success"/><hosts up="1" down="0" total="1"/></runstats>
                </nmaprun>
                """);
        assertThat(timedOut.complete()).isFalse();
        assertThat(timedOut.incomplete()).contains("host timeout");

        NetworkChecks.PortScan open = NetworkChecks.read(ran, "udp", NetworkChecks.ALL_PORTS, """
                <?xml version="1.0" encoding="UTF-8"?>
                <!DOCTYPE nmaprun>
                <nmaprun scanner="nmap" version="7.93" xmloutputversion="1.05">
                <host><address addr="10.66.1.2" addrtype="ipv4"/>
                <ports><extraports state="closed" count="65533">
                <extrareasons reason="port-unreach" count="65533" proto="udp" ports="1-52,54-5352,5354-65535"/>
                </extraports>
                <port protocol="udp" portid="53"><state state="open" reason="udp-response"/></port>
                <port protocol="udp" portid="5353"><state state="open|filtered" reason="no-response"/></port>
                </ports></host>
                <runstats><finished exit="success"/></runstats>
                </nmaprun>
                """);
        assertThat(open.complete()).isTrue();
        assertThat(open.ports(NetworkChecks.OPEN)).containsExactly("53");
        assertThat(open.ports(NetworkChecks.OPEN_OR_FILTERED)).containsExactly("5353");
        assertThat(open.summary()).isEqualTo("65533 closed, 1 open (53), 1 open|filtered (5353) of 65535 UDP port(s)");
    }

    // ---- PC-04 ------------------------------------------------------------------------------------------

    @Test
    void aControlListenerRequiringAClientCertificatePassesJudgedByItsServerHello(@TempDir Path dir) throws Exception {
        TlsZone zone = tlsZone();
        Certificate certificate = certificate(dir);
        openssl(zone, dir, certificate, 8441, "-alpn", "h2", "-cipher", "ECDHE+AESGCM:ECDHE+CHACHA20",
                "-Verify", "1", "-verify_return_error", "-CAfile", certificate.cert().toString());

        Check check = NetworkChecks.tlsPolicy(List.of(zone.listener("gateway control", 8441)));

        assertThat(check.result()).as(check.reason() + "\n" + check.observations()).isEqualTo(Check.Result.PASS);
        assertThat(check.reason()).contains("gateway control: TLS 1.0 and 1.1 refused, TLS 1.2 only AEAD forward-secret",
                "TLS 1.3 accepted");
        // The handshakes did not complete (no client certificate), yet the ServerHellos were read.
        assertThat(check.observations().toString()).contains("then alert");
    }

    @Test
    void aListenerAcceptingTls10FailsTheTlsCheck(@TempDir Path dir) throws Exception {
        TlsZone zone = tlsZone();
        openssl(zone, dir, certificate(dir), 8442, "-tls1", "-cipher", "ALL:@SECLEVEL=0");

        Check check = NetworkChecks.tlsPolicy(List.of(zone.listener("legacy stand-in", 8442)));

        assertFailedBecause(check, "legacy stand-in (" + TLS_SERVER + ":8442 from tls client zone): TLS 1.0 accepted",
                "TLS 1.3 not accepted");
    }

    @Test
    void aListenerAcceptingTls12WithAes128ShaFailsTheTlsCheck(@TempDir Path dir) throws Exception {
        TlsZone zone = tlsZone();
        openssl(zone, dir, certificate(dir), 8443, "-cipher", "ECDHE+AESGCM:AES128-SHA");

        Check check = NetworkChecks.tlsPolicy(List.of(zone.listener("cbc stand-in", 8443)));

        assertFailedBecause(check,
                "cbc stand-in (" + TLS_SERVER + ":8443 from tls client zone): TLS 1.2 accepted TLS_RSA_WITH_AES_128_CBC_SHA "
                        + "from an offer of only suites outside the policy");
        assertThat(check.reason()).doesNotContain("TLS 1.3 not accepted", "TLS 1.0 accepted");
    }

    @Test
    void ofTwoControlListenersTheOneWithoutTls13FailsTheCheckAndIsTheOneNamed(@TempDir Path dir) throws Exception {
        TlsZone zone = tlsZone();
        Certificate certificate = certificate(dir);
        openssl(zone, dir, certificate, 8444, "-alpn", "h2", "-cipher", "ECDHE+AESGCM", "-Verify", "1", "-verify_return_error",
                "-CAfile", certificate.cert().toString());
        openssl(zone, dir, certificate, 8445, "-alpn", "h2", "-no_tls1_3", "-cipher", "ECDHE+AESGCM",
                "-Verify", "1", "-verify_return_error", "-CAfile", certificate.cert().toString());

        Check check = NetworkChecks.tlsPolicy(List.of(zone.listener("gateway control", 8444),
                zone.listener("edge control", 8445)));

        assertFailedBecause(check, "1 of 2 listener(s)", "edge control (" + TLS_SERVER + ":8445 from tls client zone): "
                + "TLS 1.3 not accepted (no ServerHello: alert protocol version(70))");
        assertThat(check.reason()).doesNotContain("gateway control");
    }

    @Test
    void anHttpsListenerOnThisHostsLoopbackPassesProbedFromThisHost(@TempDir Path dir) throws Exception {
        Certificate certificate = certificate(dir);
        int port = freePort();
        // Like the edge's public HTTPS: no ALPN h2, no client certificate, TLS 1.2 and 1.3.
        Process server = new ProcessBuilder("openssl", "s_server", "-accept", "127.0.0.1:" + port,
                "-cert", certificate.cert().toString(), "-key", certificate.key().toString(), "-quiet", "-cipher", "ECDHE+AESGCM")
                .redirectErrorStream(true).redirectOutput(dir.resolve("host-s_server.log").toFile()).start();
        try {
            awaitBound(server, port, dir.resolve("host-s_server.log"));
            Check check = NetworkChecks.tlsPolicy(List.of(
                    new NetworkChecks.TlsListener("edge-proxy public HTTPS", Vantage.host(), "127.0.0.1", port)));
            assertThat(check.result()).as(check.reason() + "\n" + check.observations()).isEqualTo(Check.Result.PASS);
            assertThat(check.observations().toString()).contains("from this host");
        } finally {
            ExternalCommand.kill(server);
        }
    }

    // ---- stand-ins --------------------------------------------------------------------------------------

    /** The internet zone and, each linked to it, core's namespace and the edge's. */
    private record Zones(Vantage internet, String internetNamespace, Namespace core, Namespace edge) {
    }

    /**
     * Core answers closed UDP ports without ICMP rate limits (per-destination and per-namespace),
     * as the deployment's fixture sets up core's namespace for PC-07.
     */
    private Zones zones() {
        Namespace internet = network.namespace("inet");
        Namespace core = network.namespace("core");
        Namespace edge = network.namespace("edge");
        network.link(internet, INTERNET_TO_CORE, core, CORE + "/24");
        network.link(internet, INTERNET_TO_EDGE, edge, EDGE + "/24");
        network.exec(core, "sysctl", "-q", "-w", "net.ipv4.icmp_ratelimit=0", "net.ipv4.icmp_msgs_per_sec=100000",
                "net.ipv4.icmp_msgs_burst=100000");
        return new Zones(Vantage.namespace("internet zone", internet.name()), internet.name(), core, edge);
    }

    /** A namespace for the s_server stand-ins and one linked to it that the probes run from. */
    private record TlsZone(Namespace client, Namespace server) {

        NetworkChecks.TlsListener listener(String name, int port) {
            return new NetworkChecks.TlsListener(name, Vantage.namespace("tls client zone", client.name()), TLS_SERVER, port);
        }
    }

    private TlsZone tlsZone() {
        TlsZone zone = new TlsZone(network.namespace("client"), network.namespace("tls"));
        network.link(zone.client(), CLIENT, zone.server(), TLS_SERVER + "/24");
        return zone;
    }

    /** A self-signed RSA certificate (RSA, so that a stand-in can offer RSA key exchange) and its key. */
    private record Certificate(Path cert, Path key) {
    }

    private static Certificate certificate(Path dir) {
        Certificate certificate = new Certificate(dir.resolve("cert.pem"), dir.resolve("key.pem"));
        CommandResult made = ExternalCommand.run(Duration.ofSeconds(60), "openssl", "req", "-x509", "-newkey", "rsa:2048",
                "-nodes", "-keyout", certificate.key().toString(), "-out", certificate.cert().toString(),
                "-subj", "/CN=localhost", "-days", "1");
        assertThat(made.exitCode()).as(made.output()).isZero();
        return certificate;
    }

    /** openssl s_server in the zone's server namespace on {@code port}, with {@code options}. */
    private void openssl(TlsZone zone, Path dir, Certificate certificate, int port, String... options) throws Exception {
        List<String> line = new ArrayList<>(List.of("openssl", "s_server", "-accept", TLS_SERVER + ":" + port,
                "-cert", certificate.cert().toString(), "-key", certificate.key().toString(), "-quiet"));
        line.addAll(List.of(options));
        listen(zone.server(), dir, port, line.toArray(String[]::new));
    }

    /** Starts a stand-in in a namespace (the network kills it on close) and waits until it has bound {@code port}. */
    private void listen(Namespace namespace, Path dir, int port, String... command) throws Exception {
        Path log = dir.resolve(namespace.name() + "-" + port + ".log");
        Process process = network.start(namespace, log, command);
        awaitBound(process, port, log);
    }

    /**
     * Polls the kernel's socket table of the process (in its own namespace: /proc/PID/net) until it
     * has bound the port. {@code ip netns exec} execs the command, so the pid is the stand-in's.
     */
    private static void awaitBound(Process process, int port, Path log) throws Exception {
        EvidenceTargets.awaitListening(process, port, READY_WITHIN, log);
    }

    /** Prints how long the check took (the scans' cost is part of what this suite reports). */
    private static Check timed(Check check) {
        Duration took = Duration.between(Instant.parse(check.startedAt()), Instant.parse(check.endedAt()));
        System.out.println(check.id() + " " + check.result() + " in " + took.toMillis() + " ms: " + check.reason());
        return check;
    }

    private static void assertFailedBecause(Check check, String... reasons) {
        assertThat(check.result()).as("a broken target must FAIL: " + check.reason()).isEqualTo(Check.Result.FAIL);
        String said = check.reason() + "\n" + check.observations();
        for (String reason : reasons) {
            assertThat(said).as("the FAIL says why").contains(reason);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
