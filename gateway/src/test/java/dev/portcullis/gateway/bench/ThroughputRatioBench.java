package dev.portcullis.gateway.bench;

import com.google.protobuf.ByteString;
import dev.portcullis.gateway.acl.Firewall;
import dev.portcullis.gateway.acl.Nft;
import dev.portcullis.gateway.acl.TunnelInterface;
import dev.portcullis.gateway.admission.AdmissionStateFile;
import dev.portcullis.gateway.admission.Admissions;
import dev.portcullis.gateway.admission.PeerTelemetry;
import dev.portcullis.gateway.testnet.TestNetwork;
import dev.portcullis.gateway.testnet.TestNetwork.Namespace;
import dev.portcullis.protocol.wireguard.WireGuardDevice;
import dev.portcullis.protocol.wireguard.WireGuardInterfaces;
import dev.portcullis.protocol.wireguard.WireGuardInterfaces.Implementation;
import dev.portcullis.pki.wireguard.PresharedKey;
import dev.portcullis.pki.wireguard.WireGuardPrivateKey;
import dev.portcullis.protocol.v1.AclPolicy;
import dev.portcullis.protocol.v1.AclProtocol;
import dev.portcullis.protocol.v1.AclRule;
import dev.portcullis.protocol.v1.PeerAdmission;
import dev.portcullis.protocol.v1.PortRange;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Benchmark, not a test: iperf3 TCP throughput through the gateway as a ratio to a bare
 * wireguard-go pair on the same topology, in the same run.
 * <pre>
 *   device ns ──veth 192.168.71.0/24── gateway ns ──veth 10.72.0.0/24── service ns
 *   wireguard-go + wg                  wireguard-go, forwarding        iperf3 -s
 *   10.99.0.2 ════════ tunnel 10.99.0.0/24 ════════ 10.99.0.1
 * </pre>
 * The device is always the same standard {@code wg}-configured wireguard-go peer; iperf3 runs from
 * the device to the service through the tunnel and the gateway's forwarding. The gateway's
 * interface is created afresh for each run, in one of two configurations, alternating:
 * <ul>
 *   <li><b>bare</b>: {@code wireguard-go} started by hand, configured with {@code wg set} and
 *       {@code ip} only; no nftables table in the namespace.</li>
 *   <li><b>managed</b>: what the Portcullis gateway sets up: the interface opened and configured
 *       through {@code WireGuardInterfaces}/{@code UapiDevice}, the firewall table
 *       {@code inet portcullis_<iface>} (default deny, then a policy allowing only the device to
 *       the service on TCP 5201), the {@code Admissions} engine applying core's snapshot with the
 *       device's admission, and {@code PeerTelemetry} polling the device and the drop counter.</li>
 * </ul>
 * Each run is {@code iperf3 -c … -t <seconds> -O 1} (first second omitted) under {@code timeout};
 * before it, a ping shows the configuration is what it claims (it passes bare, and the managed
 * ACL drops it, since only TCP 5201 is allowed). All traffic stays in the three namespaces, which
 * are removed at the end whatever happens.
 * <p>
 * Run: {@code ./bench gateway-throughput [rounds=3] [seconds=5]}. Results and method: BENCHMARKS.md.
 */
public final class ThroughputRatioBench {

    private static final String DEVICE_UNDERLAY = "192.168.71.2";
    private static final String GATEWAY_UNDERLAY = "192.168.71.1";
    private static final String GATEWAY_LAN = "10.72.0.1";
    private static final String SERVICE = "10.72.0.2";
    private static final String SERVICE_NET = "10.72.0.0/24";
    private static final String TUNNEL_NET = "10.99.0.0/24";
    private static final String GATEWAY_TUNNEL = "10.99.0.1";
    private static final String DEVICE_TUNNEL = "10.99.0.2";
    private static final int PORT = 51820;
    private static final int IPERF_PORT = 5201;
    private static final int MTU = 1420;
    /** Grace on top of the run's length for connection setup and the JSON summary. */
    private static final int IPERF_GRACE_SECONDS = 8;

    private static final Pattern RECEIVED = Pattern.compile(
            "\"sum_received\"\\s*:\\s*\\{[^}]*?\"bits_per_second\"\\s*:\\s*([0-9.eE+]+)");

    private final TestNetwork network;
    private final Namespace deviceNs;
    private final Namespace gatewayNs;
    private final Namespace serviceNs;
    private final String deviceInterface;
    private final String gatewayInterface;
    private final WireGuardPrivateKey deviceKey = WireGuardPrivateKey.generate();
    private final WireGuardPrivateKey gatewayKey = WireGuardPrivateKey.generate();
    private final PresharedKey presharedKey = PresharedKey.generate();
    private final Path secrets;

    private ThroughputRatioBench(TestNetwork network) throws IOException {
        this.network = network;
        deviceNs = network.namespace("dev");
        gatewayNs = network.namespace("gw");
        serviceNs = network.namespace("svc");
        deviceInterface = network.interfaceName("d");
        gatewayInterface = network.interfaceName("g");
        secrets = Files.createTempDirectory("portcullis-bench-keys", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        try (TestNetwork network = new TestNetwork()) {
            ThroughputRatioBench bench = new ThroughputRatioBench(network);
            try {
                bench.run(rounds, seconds);
            } finally {
                bench.deleteSecrets();
            }
        }
    }

    private void run(int rounds, int seconds) throws Exception {
        network.link(deviceNs, DEVICE_UNDERLAY + "/24", gatewayNs, GATEWAY_UNDERLAY + "/24");
        network.link(gatewayNs, GATEWAY_LAN + "/24", serviceNs, SERVICE + "/24");
        network.exec(gatewayNs, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
        network.exec(serviceNs, "ip", "route", "add", TUNNEL_NET, "via", GATEWAY_LAN);
        startDevice();
        network.start(serviceNs, secrets.resolve("iperf3-server.log"), "iperf3", "-s", "-B", SERVICE,
                "-p", Integer.toString(IPERF_PORT));
        awaitListening();

        List<Double> bare = new ArrayList<>();
        List<Double> managed = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            startBareGateway();
            try {
                resetDeviceSession();
                requirePing(true, "bare");
                double gbps = iperf(seconds);
                bare.add(gbps);
                System.out.printf(Locale.ROOT, "  round %d bare:    %.3f Gbit/s%n", round, gbps);
            } finally {
                network.exec(gatewayNs, "ip", "link", "delete", "dev", gatewayInterface);
                awaitDaemonGone();
            }

            try (ManagedGateway gateway = startManagedGateway(round)) {
                resetDeviceSession();
                requireTcpOnly();
                double gbps = iperf(seconds);
                managed.add(gbps);
                long dropped = gateway.firewall.droppedPackets();
                System.out.printf(Locale.ROOT, "  round %d managed: %.3f Gbit/s (ACL dropped %d packets, the probes)%n",
                        round, gbps, dropped);
            }
            awaitDaemonGone();
        }
        double bareMedian = median(bare);
        double managedMedian = median(managed);
        System.out.printf(Locale.ROOT, "gateway-throughput: %d rounds of %d s (bare, managed alternating)%n", rounds, seconds);
        System.out.printf(Locale.ROOT, "  bare wireguard-go pair:  median %.3f Gbit/s  %s%n", bareMedian, format(bare));
        System.out.printf(Locale.ROOT, "  Portcullis gateway:      median %.3f Gbit/s  %s%n", managedMedian, format(managed));
        System.out.printf(Locale.ROOT, "  ratio managed / bare (medians): %.3f%n", managedMedian / bareMedian);
        List<Double> perRound = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            perRound.add(managed.get(i) / bare.get(i));
        }
        System.out.printf(Locale.ROOT, "  per round (managed / the bare run just before it): %s%n", format(perRound));
    }

    // --- the device: a standard wg-configured peer, never touched by Portcullis code -----------

    private void startDevice() throws IOException {
        network.exec(deviceNs, "env", "WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1", "wireguard-go", deviceInterface);
        network.exec(deviceNs, "wg", "set", deviceInterface, "private-key", secret("device.key", deviceKey.bytes()));
        network.exec(deviceNs, "ip", "address", "add", DEVICE_TUNNEL + "/24", "dev", deviceInterface);
        network.exec(deviceNs, "ip", "link", "set", deviceInterface, "mtu", Integer.toString(MTU), "up");
        network.exec(deviceNs, "ip", "route", "add", SERVICE_NET, "dev", deviceInterface);
    }

    /**
     * Sets the gateway as the device's peer afresh: the gateway's interface is new each run and
     * knows no session, so the device must not keep sending on the old one.
     */
    private void resetDeviceSession() throws IOException {
        String gatewayPublic = gatewayKey.publicKey().base64();
        network.exec(deviceNs, "wg", "set", deviceInterface, "peer", gatewayPublic, "remove");
        network.exec(deviceNs, "wg", "set", deviceInterface, "peer", gatewayPublic,
                "preshared-key", secret("psk", presharedKey.bytes()),
                "endpoint", GATEWAY_UNDERLAY + ":" + PORT, "allowed-ips", TUNNEL_NET + "," + SERVICE_NET);
    }

    // --- the two gateway configurations ------------------------------------------------------

    private void startBareGateway() throws IOException {
        network.exec(gatewayNs, "env", "WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1", "wireguard-go", gatewayInterface);
        network.exec(gatewayNs, "wg", "set", gatewayInterface, "private-key", secret("gateway.key", gatewayKey.bytes()),
                "listen-port", Integer.toString(PORT), "peer", deviceKey.publicKey().base64(),
                "preshared-key", secret("psk", presharedKey.bytes()), "allowed-ips", DEVICE_TUNNEL + "/32");
        network.exec(gatewayNs, "ip", "address", "add", GATEWAY_TUNNEL + "/24", "dev", gatewayInterface);
        network.exec(gatewayNs, "ip", "link", "set", gatewayInterface, "mtu", Integer.toString(MTU), "up");
        String tables = network.exec(gatewayNs, "nft", "list", "tables");
        if (!tables.isBlank()) {
            throw new IllegalStateException("the bare configuration must have no nftables table, found: " + tables);
        }
    }

    /** The gateway's own objects, closed (and the table removed) at the end of the run. */
    private record ManagedGateway(WireGuardDevice device, Firewall firewall, Admissions admissions,
                                  PeerTelemetry telemetry, Path stateDirectory, String namespace) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            telemetry.close();
            admissions.close();
            device.close();
            firewall.remove();
            WireGuardInterfaces.delete(device.name(), namespace);
            deleteTree(stateDirectory);
        }
    }

    private ManagedGateway startManagedGateway(int round) throws Exception {
        // Same order as Gateway: interface, key and port, link settings, default deny, engine, then core's config.
        WireGuardDevice device = WireGuardInterfaces.open(gatewayInterface, Implementation.USERSPACE, gatewayNs.name());
        Firewall firewall = new Firewall(new TunnelInterface(gatewayInterface),
                Nft.inNamespace(gatewayNs.name(), Nft.DEFAULT_TIMEOUT));
        Path state = Files.createTempDirectory("portcullis-bench-gw");
        device.configure(gatewayKey, PORT);
        WireGuardInterfaces.configureLink(gatewayInterface, List.of(GATEWAY_TUNNEL + "/24"), MTU, gatewayNs.name());
        firewall.applyDefaultDeny();
        Admissions admissions = Admissions.start(device, new AdmissionStateFile(state), Clock.systemUTC());
        PeerTelemetry telemetry = new PeerTelemetry(admissions, () -> {
            try {
                return firewall.droppedPackets();
            } catch (Exception e) {
                return -1;
            }
        }, message -> true, () -> round, () -> 0, Clock.systemUTC());
        firewall.apply(AclPolicy.newBuilder().setRevision(round)
                .addRules(AclRule.newBuilder().addSources(DEVICE_TUNNEL + "/32").addDestinations(SERVICE + "/32")
                        .setProtocol(AclProtocol.ACL_PROTOCOL_TCP)
                        .addPorts(PortRange.newBuilder().setFirst(IPERF_PORT).setLast(IPERF_PORT)))
                .build());
        admissions.applySnapshot(List.of(PeerAdmission.newBuilder()
                .setPublicKey(ByteString.copyFrom(deviceKey.publicKey().bytes()))
                .setPresharedKey(ByteString.copyFrom(presharedKey.bytes()))
                .addAllowedIps(DEVICE_TUNNEL + "/32")
                .setNotAfterUnixMillis(Instant.now().plus(BenchPeers.SESSION).toEpochMilli())
                .setSessionId("bench-throughput")
                .build()));
        telemetry.start();
        telemetry.streamOpened();
        return new ManagedGateway(device, firewall, admissions, telemetry, state, gatewayNs.name());
    }

    // --- measurements and checks -------------------------------------------------------------

    private double iperf(int seconds) {
        TestNetwork.Result result = network.tryExec(deviceNs, "timeout", Integer.toString(seconds + IPERF_GRACE_SECONDS),
                "iperf3", "-c", SERVICE, "-p", Integer.toString(IPERF_PORT), "-t", Integer.toString(seconds),
                "-O", "1", "-J");
        Matcher matcher = RECEIVED.matcher(result.output());
        if (result.exitCode() != 0 || !matcher.find()) {
            throw new IllegalStateException("iperf3 failed (exit " + result.exitCode() + "): " + result.output());
        }
        return Double.parseDouble(matcher.group(1)) / 1e9;
    }

    private void requirePing(boolean expected, String configuration) {
        // The first ping also completes the handshake; a few tries allow for it.
        boolean passed = network.tryExec(deviceNs, "ping", "-c", "3", "-W", "1", SERVICE).exitCode() == 0;
        if (passed != expected) {
            throw new IllegalStateException(configuration + ": ping to the service " + (passed ? "passed" : "failed"));
        }
    }

    /** Managed: the ACL drops ICMP to the service while TCP to the iperf3 port gets through. */
    private void requireTcpOnly() {
        requirePing(false, "managed");
        TestNetwork.Result tcp = network.tryExec(deviceNs, "timeout", "5", "bash", "-c",
                "exec 3<>/dev/tcp/" + SERVICE + "/" + IPERF_PORT);
        if (tcp.exitCode() != 0) {
            throw new IllegalStateException("managed: TCP to the iperf3 port did not pass: " + tcp.output());
        }
    }

    private void awaitListening() throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            if (network.exec(serviceNs, "ss", "-ltnH").contains(SERVICE + ":" + IPERF_PORT)) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("iperf3 -s did not start listening");
    }

    /** wireguard-go exits once its interface is gone; the next run reuses the name and port. */
    private void awaitDaemonGone() throws InterruptedException {
        Path socket = Path.of("/var/run/wireguard", gatewayInterface + ".sock");
        for (int i = 0; i < 250 && Files.exists(socket); i++) {
            Thread.sleep(20);
        }
    }

    // --- helpers -----------------------------------------------------------------------------

    /** Writes a key as wg reads it (base64, mode 0600) and returns the file's path. */
    private String secret(String name, byte[] key) throws IOException {
        Path file = secrets.resolve(name);
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, Base64.getEncoder().encodeToString(key) + "\n");
        java.util.Arrays.fill(key, (byte) 0);
        return file.toString();
    }

    private void deleteSecrets() {
        deleteTree(secrets);
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // best effort: temporary files of a benchmark run
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static String format(List<Double> values) {
        return values.stream().map(v -> String.format(Locale.ROOT, "%.3f", v)).toList().toString();
    }
}
