package dev.portcullis.gateway.acl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.gateway.testnet.TestNetwork;
import dev.portcullis.gateway.testnet.TestNetwork.Namespace;
import dev.portcullis.protocol.v1.AclPolicy;
import dev.portcullis.protocol.v1.AclProtocol;
import dev.portcullis.protocol.v1.AclRule;
import dev.portcullis.protocol.v1.PortRange;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The firewall on real nftables, in namespaces {@code client — router — server}. The router's
 * client-facing veth stands in for the WireGuard interface (the ACL filters by interface name and
 * does not care what carries the packets); WireGuard itself is covered by the gateway's end-to-end
 * test. The server answers every TCP connection with the source address it saw, so a probe shows
 * both whether a packet got through and how it was NATed.
 */
class FirewallNamespaceTest {

    private static final String PYTHON = "/usr/bin/python3";

    private static final String CLIENT = "10.71.1.2";
    private static final String ROUTER_TUNNEL = "10.71.1.1";
    private static final String ROUTER_LAN = "10.71.2.1";
    private static final String SERVER = "10.71.2.2";
    private static final String CLIENT6 = "fd71:1::2";
    private static final String SERVER6 = "fd71:2::2";

    private static final int ALLOWED = 8080;
    private static final int OTHER = 8081;
    private static final int ECHO = 9000;

    /** How long a probe waits for an answer before it counts as dropped. */
    private static final String DROP_WAIT_SECONDS = "1";

    /** The test's traffic tools: a listener that answers with the peer's address, an echo port, probes. */
    private static final String NETTOOL = """
            import os, socket, struct, sys, threading, time

            def family(addr):
                return socket.AF_INET6 if ":" in addr else socket.AF_INET

            def whoami(addr, port):
                s = socket.socket(family(addr), socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((addr, port)); s.listen(512)
                while True:
                    c, peer = s.accept()
                    try:
                        c.sendall((peer[0] + "\\n").encode())
                    except OSError:
                        pass
                    c.close()

            def echo_conn(c):
                try:
                    while True:
                        data = c.recv(100)
                        if not data:
                            break
                        c.sendall(data)
                except OSError:
                    pass
                c.close()

            def echo(addr, port):
                s = socket.socket(family(addr), socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((addr, port)); s.listen(16)
                while True:
                    c, _ = s.accept()
                    threading.Thread(target=echo_conn, args=(c,), daemon=True).start()

            def connect(addr, port, timeout):
                s = socket.socket(family(addr), socket.SOCK_STREAM)
                s.settimeout(timeout)
                try:
                    s.connect((addr, port))
                    return s.recv(100).decode().strip() or None
                except OSError:
                    return None
                finally:
                    s.close()

            def checksum(data):
                total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
                total = (total >> 16) + (total & 0xffff)
                total += total >> 16
                return ~total & 0xffff

            def ping(addr, timeout):
                s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
                ident = os.getpid() & 0xffff
                body = b"portcullis"
                header = struct.pack("!BBHHH", 8, 0, 0, ident, 1)
                s.sendto(struct.pack("!BBHHH", 8, 0, checksum(header + body), ident, 1) + body, (addr, 0))
                deadline = time.time() + timeout
                while time.time() < deadline:
                    s.settimeout(max(0.01, deadline - time.time()))
                    try:
                        data, src = s.recvfrom(2048)
                    except OSError:
                        return False
                    ihl = (data[0] & 0x0f) * 4
                    kind, _, _, rid, _ = struct.unpack("!BBHHH", data[ihl:ihl + 8])
                    if src[0] == addr and kind == 0 and rid == ident:
                        return True
                return False

            mode = sys.argv[1]
            if mode == "serve":
                for spec in sys.argv[2:]:
                    kind, addr, port = spec.split(",")
                    target = whoami if kind == "whoami" else echo
                    threading.Thread(target=target, args=(addr, int(port)), daemon=True).start()
                print("ready", flush=True)
                time.sleep(600)
            elif mode == "tcp":
                seen = connect(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
                print(seen if seen else "no answer")
                sys.exit(0 if seen else 1)
            elif mode == "ping":
                ok = ping(sys.argv[2], float(sys.argv[3]))
                print("reply" if ok else "no reply")
                sys.exit(0 if ok else 1)
            elif mode == "probe-loop":
                addr, port, stop = sys.argv[2], int(sys.argv[3]), sys.argv[4]
                ok = failed = 0
                deadline = time.time() + 120
                while not os.path.exists(stop) and time.time() < deadline:
                    if connect(addr, port, 1.0):
                        ok += 1
                    else:
                        failed += 1
                print("ok %d failed %d" % (ok, failed), flush=True)
            elif mode == "hold":
                addr, port, go, timeout = sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
                s = socket.create_connection((addr, port), timeout=timeout)
                s.sendall(b"a")
                print("first", s.recv(10).decode(), flush=True)
                while not os.path.exists(go):
                    time.sleep(0.02)
                s.sendall(b"b")
                try:
                    print("second", s.recv(10).decode() or "closed", flush=True)
                except OSError:
                    print("second no answer", flush=True)
            """;

    @TempDir
    Path dir;

    private TestNetwork net;
    private Namespace client;
    private Namespace router;
    private Namespace server;
    private String tunnel;
    private Firewall firewall;
    private Path tool;

    @BeforeEach
    void buildTopology() throws Exception {
        net = new TestNetwork();
        client = net.namespace("client");
        router = net.namespace("router");
        server = net.namespace("server");
        for (Namespace namespace : List.of(client, router, server)) {
            // Duplicate address detection would leave link-local addresses tentative for a second or
            // two, during which IPv6 neighbour discovery, and with it the first probes, stall.
            net.exec(namespace, "sysctl", "-q", "-w", "net.ipv6.conf.default.accept_dad=0");
        }
        tunnel = net.link(router, ROUTER_TUNNEL + "/24", client, CLIENT + "/24").get(0);
        String lan = net.link(router, ROUTER_LAN + "/24", server, SERVER + "/24").get(0);
        String clientEnd = "vb" + net.tag() + "1";
        String serverEnd = "vb" + net.tag() + "2";
        net.exec(router, "ip", "-6", "address", "add", "fd71:1::1/64", "dev", tunnel, "nodad");
        net.exec(router, "ip", "-6", "address", "add", "fd71:2::1/64", "dev", lan, "nodad");
        net.exec(client, "ip", "-6", "address", "add", CLIENT6 + "/64", "dev", clientEnd, "nodad");
        net.exec(server, "ip", "-6", "address", "add", SERVER6 + "/64", "dev", serverEnd, "nodad");
        // WireGuard is a layer-3 device without neighbour discovery; the veth standing in for it has
        // ND, which the input chain (rightly) drops from the tunnel. Static entries take ND out of the picture.
        net.exec(client, "ip", "-6", "neigh", "add", "fd71:1::1", "lladdr", mac(router, tunnel), "dev", clientEnd,
                "nud", "permanent");
        net.exec(router, "ip", "-6", "neigh", "add", CLIENT6, "lladdr", mac(client, clientEnd), "dev", tunnel,
                "nud", "permanent");
        net.exec(client, "ip", "route", "add", "default", "via", ROUTER_TUNNEL);
        net.exec(client, "ip", "-6", "route", "add", "default", "via", "fd71:1::1");
        // The server can route back to the client, so only masquerade changes the source it sees.
        net.exec(server, "ip", "route", "add", "10.71.1.0/24", "via", ROUTER_LAN);
        net.exec(server, "ip", "-6", "route", "add", "fd71:1::/64", "via", "fd71:2::1");
        net.exec(router, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
        net.exec(router, "sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1");

        tool = Files.writeString(dir.resolve("nettool.py"), NETTOOL);
        Path serverLog = dir.resolve("server.log");
        net.start(server, serverLog, PYTHON, tool.toString(), "serve",
                "whoami," + SERVER + "," + ALLOWED, "whoami," + SERVER + "," + OTHER, "echo," + SERVER + "," + ECHO,
                "whoami," + SERVER6 + "," + ALLOWED, "whoami," + SERVER6 + "," + OTHER);
        net.start(router, dir.resolve("router.log"), PYTHON, tool.toString(), "serve",
                "whoami," + ROUTER_TUNNEL + "," + ALLOWED);
        awaitListening(server, SERVER, ALLOWED);
        awaitListening(server, SERVER6, OTHER);
        awaitListening(router, ROUTER_TUNNEL, ALLOWED);

        firewall = new Firewall(new TunnelInterface(tunnel), Nft.inNamespace(router.name(), Nft.DEFAULT_TIMEOUT));
    }

    @AfterEach
    void tearDown() {
        if (net != null) {
            net.close();
        }
    }

    @Test
    void anAllowedTcpPortPassesWhileAnotherPortIsDroppedAndCounted() throws Exception {
        assertThat(tcp(SERVER, OTHER)).as("without the firewall the other port is reachable").isEqualTo(CLIENT);

        firewall.apply(allowTcp(ALLOWED));
        long droppedBefore = firewall.droppedPackets();

        assertThat(tcp(SERVER, ALLOWED)).isEqualTo(CLIENT);
        assertThat(tcp(SERVER, OTHER)).isNull();
        assertThat(firewall.droppedPackets()).isGreaterThan(droppedBefore);
    }

    @Test
    void theDefaultDenyDropsAndCountsEverythingFromTheTunnelUntilAPolicyArrives() throws Exception {
        firewall.applyDefaultDeny();

        assertThat(tcp(SERVER, ALLOWED)).isNull();
        assertThat(ping(SERVER)).isFalse();
        assertThat(tcp(ROUTER_TUNNEL, ALLOWED)).as("the gateway itself").isNull();
        assertThat(firewall.droppedPackets()).isGreaterThanOrEqualTo(3);
        assertThat(firewall.appliedRevision()).hasValue(0);
    }

    @Test
    void theGatewayItselfIsUnreachableFromPeersWhateverThePolicyAllows() throws Exception {
        assertThat(tcp(ROUTER_TUNNEL, ALLOWED)).as("without the firewall").isEqualTo(CLIENT);

        firewall.apply(AclPolicy.newBuilder().setRevision(1).addRules(AclRule.newBuilder()
                .addSources("0.0.0.0/0").addDestinations("0.0.0.0/0")).build());

        assertThat(tcp(SERVER, OTHER)).as("the allow-all rule is in force").isEqualTo(CLIENT);
        assertThat(tcp(ROUTER_TUNNEL, ALLOWED)).isNull();
    }

    @Test
    void icmpPassesOnlyWhenThePolicyAllowsIt() throws Exception {
        firewall.apply(allowTcp(ALLOWED));
        assertThat(ping(SERVER)).isFalse();

        firewall.apply(AclPolicy.newBuilder().setRevision(2).addRules(AclRule.newBuilder().addSources(CLIENT)
                .addDestinations(SERVER).setProtocol(AclProtocol.ACL_PROTOCOL_ICMP)).build());
        assertThat(ping(SERVER)).isTrue();
        assertThat(tcp(SERVER, ALLOWED)).as("ICMP does not open TCP").isNull();
    }

    @Test
    void replacingThePolicySwitchesBehaviourAndKeepsCountingDrops() throws Exception {
        firewall.apply(allowTcp(ALLOWED));
        assertThat(tcp(SERVER, ALLOWED)).isEqualTo(CLIENT);
        assertThat(tcp(SERVER, OTHER)).isNull();
        long droppedUnderFirstPolicy = firewall.droppedPackets();
        assertThat(droppedUnderFirstPolicy).isPositive();

        firewall.apply(allowTcp(OTHER));

        // At least: stray IPv6 router solicitations from the client may be counted in between.
        assertThat(firewall.droppedPackets()).as("the counter survives the replacement")
                .isGreaterThanOrEqualTo(droppedUnderFirstPolicy);
        assertThat(tcp(SERVER, OTHER)).isEqualTo(CLIENT);
        assertThat(tcp(SERVER, ALLOWED)).isNull();
        assertThat(firewall.droppedPackets()).isGreaterThan(droppedUnderFirstPolicy);
    }

    @Test
    void revokingARuleCutsAConnectionThatIsAlreadyOpen() throws Exception {
        firewall.apply(allowTcp(ECHO));
        Path go = dir.resolve("go");
        Path log = dir.resolve("hold.log");
        Process hold = net.start(client, log, PYTHON, tool.toString(), "hold", SERVER, Integer.toString(ECHO),
                go.toString(), DROP_WAIT_SECONDS);
        awaitLogLine(log, "first a");

        firewall.apply(allowTcp(ALLOWED));
        Files.writeString(go, "");

        assertThat(hold.waitFor(TestNetwork.COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(log)).contains("second no answer").doesNotContain("second b");
    }

    @Test
    void applyingIsAtomicSoAProbeNeverSeesNoRulesOrAMixOfOldAndNew() throws Exception {
        AclPolicy narrow = allowTcp(ALLOWED);
        AclPolicy wide = AclPolicy.newBuilder(allowTcp(ALLOWED)).setRevision(2)
                .addRules(AclRule.newBuilder().addSources(CLIENT).addDestinations(SERVER)
                        .setProtocol(AclProtocol.ACL_PROTOCOL_UDP).addPorts(PortRange.newBuilder().setFirst(53).setLast(53)))
                .addMasqueradeDestinations("192.0.2.0/24").build();
        firewall.apply(narrow);
        Path stop = dir.resolve("stop");
        Path probeLog = dir.resolve("probe.log");
        Process probes = net.start(client, probeLog, PYTHON, tool.toString(), "probe-loop", SERVER,
                Integer.toString(ALLOWED), stop.toString());
        Nft lister = Nft.inNamespace(router.name(), Nft.DEFAULT_TIMEOUT);
        AtomicBoolean applying = new AtomicBoolean(true);
        AtomicInteger listings = new AtomicInteger();
        CompletableFuture<String> tableWatch = CompletableFuture.supplyAsync(() -> {
            try {
                while (applying.get()) {
                    String table = lister.run(null, "list", "table", "inet", firewall.tableName());
                    if (!table.contains("counter name \"dropped\" drop")) {
                        return "table without its final drop:\n" + table;
                    }
                    listings.incrementAndGet();
                }
                return "ok";
            } catch (FirewallException e) {
                return "table missing: " + e.getMessage();
            }
        });

        try {
            for (int i = 0; i < 200; i++) {
                firewall.apply(i % 2 == 0 ? wide : narrow);
            }
        } finally {
            applying.set(false);
            Files.writeString(stop, "");
        }

        assertThat(probes.waitFor(TestNetwork.COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
        assertThat(tableWatch.get(TestNetwork.COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)).isEqualTo("ok");
        assertThat(listings.get()).as("the table was watched throughout").isGreaterThan(20);
        String result = Files.readString(probeLog).strip();
        assertThat(result).matches("ok \\d+ failed 0");
        assertThat(Integer.parseInt(result.split(" ")[1])).as("probes made during the applies").isGreaterThan(20);
    }

    @Test
    void masqueradeMakesTheServerSeeTheGatewaysAddress() throws Exception {
        firewall.apply(allowTcp(ALLOWED));
        assertThat(tcp(SERVER, ALLOWED)).isEqualTo(CLIENT);

        firewall.apply(AclPolicy.newBuilder(allowTcp(ALLOWED)).addMasqueradeDestinations("10.71.2.0/24").build());

        assertThat(tcp(SERVER, ALLOWED)).isEqualTo(ROUTER_LAN);
    }

    @Test
    void ipv6RulesAreEnforced() throws Exception {
        firewall.apply(AclPolicy.newBuilder().setRevision(1).addRules(AclRule.newBuilder().addSources(CLIENT6 + "/128")
                .addDestinations("fd71:2::/64").setProtocol(AclProtocol.ACL_PROTOCOL_TCP)
                .addPorts(PortRange.newBuilder().setFirst(ALLOWED).setLast(ALLOWED))).build());

        assertThat(tcp(SERVER6, ALLOWED)).isEqualTo(CLIENT6);
        assertThat(tcp(SERVER6, OTHER)).isNull();
        assertThat(tcp(SERVER, ALLOWED)).as("an IPv6 rule opens nothing for IPv4").isNull();
    }

    @Test
    void theLargestPolicyTheLimitsAdmitLoadsAndReplacesWellWithinTheTimeout() throws Exception {
        AclPolicy.Builder largest = AclPolicy.newBuilder().setRevision(7);
        for (int r = 0; r < AclCompiler.MAX_RULES; r++) {
            // Both families and several values everywhere: the most anonymous sets a rule can make.
            String v4 = (r / 256) + "." + (r % 256);
            String v6 = Integer.toHexString(r + 1);
            largest.addRules(AclRule.newBuilder().setProtocol(AclProtocol.ACL_PROTOCOL_TCP)
                    .addSources("10.80." + v4).addSources("10.81." + v4).addSources("fd80::" + v6).addSources("fd81::" + v6)
                    .addDestinations("192.168." + v4).addDestinations("192.169." + v4)
                    .addDestinations("fd90::" + v6).addDestinations("fd91::" + v6)
                    .addPorts(PortRange.newBuilder().setFirst(1000).setLast(1000))
                    .addPorts(PortRange.newBuilder().setFirst(2000 + r).setLast(2000 + r)));
        }
        AclPolicy policy = largest.build();
        Duration budget = Nft.DEFAULT_TIMEOUT.dividedBy(3);

        long start = System.nanoTime();
        firewall.apply(policy);
        Duration load = Duration.ofNanos(System.nanoTime() - start);
        start = System.nanoTime();
        firewall.apply(policy);
        Duration replace = Duration.ofNanos(System.nanoTime() - start);

        assertThat(load).isLessThan(budget);
        assertThat(replace).isLessThan(budget);
        assertThat(tcp(SERVER, ALLOWED)).as("none of those rules allows the client").isNull();
    }

    @Test
    void aRejectedPolicyLeavesTheRulesInForce() throws Exception {
        firewall.apply(allowTcp(ALLOWED));

        assertThatThrownBy(() -> firewall.apply(AclPolicy.newBuilder().setRevision(9).addRules(AclRule.newBuilder()
                .addSources("0.0.0.0/0; flush ruleset").addDestinations("0.0.0.0/0")).build()))
                .isInstanceOf(InvalidAclPolicyException.class);

        assertThat(firewall.appliedRevision()).hasValue(1);
        assertThat(tcp(SERVER, ALLOWED)).isEqualTo(CLIENT);
        assertThat(tcp(SERVER, OTHER)).isNull();
    }

    @Test
    void removeDeletesTheTableAndIsIdempotent() throws Exception {
        firewall.apply(allowTcp(ALLOWED));

        firewall.remove();
        firewall.remove();

        assertThat(net.exec(router, "nft", "list", "tables")).doesNotContain(firewall.tableName());
        assertThat(tcp(SERVER, OTHER)).isEqualTo(CLIENT);
        assertThatThrownBy(firewall::droppedPackets).isInstanceOf(FirewallException.class);
    }

    @Test
    void nftFailuresAreReportedAsShortTypedErrors() {
        Firewall nowhere = new Firewall(new TunnelInterface(tunnel),
                Nft.inNamespace("pc-missing-" + net.tag(), Duration.ofSeconds(5)));

        assertThatThrownBy(nowhere::applyDefaultDeny).isInstanceOf(FirewallException.class)
                .hasMessageStartingWith("nft failed (exit ")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n").hasSizeLessThan(400));
    }

    private AclPolicy allowTcp(int port) {
        return AclPolicy.newBuilder().setRevision(1).addRules(AclRule.newBuilder().addSources(CLIENT + "/32")
                .addDestinations(SERVER + "/32").setProtocol(AclProtocol.ACL_PROTOCOL_TCP)
                .addPorts(PortRange.newBuilder().setFirst(port).setLast(port))).build();
    }

    private String mac(Namespace namespace, String device) {
        return net.exec(namespace, "cat", "/sys/class/net/" + device + "/address").strip();
    }

    /** The source address the server saw, or null if the connection got no answer. */
    private String tcp(String address, int port) {
        TestNetwork.Result result = net.tryExec(client, PYTHON, tool.toString(), "tcp", address, Integer.toString(port),
                DROP_WAIT_SECONDS);
        return result.exitCode() == 0 ? result.output().strip() : null;
    }

    private boolean ping(String address) {
        return net.tryExec(client, PYTHON, tool.toString(), "ping", address, DROP_WAIT_SECONDS).exitCode() == 0;
    }

    private void awaitListening(Namespace namespace, String address, int port) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            if (net.tryExec(namespace, PYTHON, tool.toString(), "tcp", address, Integer.toString(port), "1").exitCode() == 0) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("listener on " + address + " port " + port + " did not start");
    }

    private static void awaitLogLine(Path log, String line) throws Exception {
        for (int i = 0; i < 200; i++) {
            if (Files.exists(log) && Files.readString(log).contains(line)) {
                return;
            }
            Thread.sleep(25);
        }
        throw new AssertionError("no '" + line + "' in " + (Files.exists(log) ? Files.readString(log) : "(no log)"));
    }
}
