package dev.portcullis.gateway.bench;

import dev.portcullis.gateway.testnet.TestNetwork;
import dev.portcullis.protocol.wireguard.PeerState;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import dev.portcullis.protocol.v1.PeerAdmission;
import java.util.List;

/**
 * Benchmark, not a test: {@code admit} received → peer live in the device.
 * <p>
 * A real wireguard-go interface in a namespace of a {@link TestNetwork}, driven by the real
 * {@code Admissions} engine through the real {@code UapiDevice}, exactly as the gateway's control
 * handler does for an {@code ADMIT} update ({@code admissions.admit(update.getAdmit())}). Two
 * times per admit:
 * <ul>
 *   <li><b>ack</b>: the call to {@code admit} until it returns. This is what the gateway
 *       acknowledges to core on: {@code admit} returns only after wireguard-go answered the UAPI
 *       {@code set} with {@code errno=0}, which it sends after applying the whole transaction.</li>
 *   <li><b>visible</b>: the same start until a separate UAPI {@code get} (a new connection, as
 *       {@code wg show} would make) lists the peer with its allowed IP. This adds one full read
 *       of the device, which grows with the number of peers, so it overstates the admit itself.</li>
 * </ul>
 * Admits arrive back to back (a burst: the engine's asynchronous state file writes overlap the
 * next admit), peers accumulate (the i-th admit lands on a device with i - 1 peers), and the first
 * {@code warmup} admits (evicted again) are not counted.
 * <p>
 * Run: {@code ./bench gateway-admit [admits=1000] [warmup=200]}. Results and method: BENCHMARKS.md.
 */
public final class AdmitLatencyBench {

    private AdmitLatencyBench() {
    }

    public static void main(String[] args) throws Exception {
        int admits = args.length > 0 ? Integer.parseInt(args[0]) : 1_000;
        int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        List<PeerAdmission> warmupPeers = BenchPeers.admissions(1_000_000, warmup);
        List<PeerAdmission> peers = BenchPeers.admissions(0, admits);

        try (TestNetwork network = new TestNetwork()) {
            TestNetwork.Namespace namespace = network.namespace("gw");
            try (BenchGateway gateway = new BenchGateway(network, namespace, "g")) {
                for (PeerAdmission peer : warmupPeers) {
                    gateway.admissions.admit(peer);
                    requireVisible(gateway, peer);
                }
                for (PeerAdmission peer : warmupPeers) {
                    gateway.admissions.evict(BenchPeers.eviction(peer));
                }

                Latencies ack = new Latencies();
                Latencies visible = new Latencies();
                for (PeerAdmission peer : peers) {
                    long start = System.nanoTime();
                    gateway.admissions.admit(peer);
                    long acked = System.nanoTime();
                    requireVisible(gateway, peer);
                    long seen = System.nanoTime();
                    ack.add(acked - start);
                    visible.add(seen - start);
                }
                int onDevice = gateway.device.peers().size();
                if (onDevice != admits) {
                    throw new IllegalStateException("the device has " + onDevice + " peers, expected " + admits);
                }
                Latencies read = new Latencies();
                for (int i = 0; i < 100; i++) {
                    long start = System.nanoTime();
                    gateway.device.peers();
                    read.add(System.nanoTime() - start);
                }
                System.out.println("gateway-admit: " + admits + " admits (after " + warmup
                        + " warm-up admits), back to back, real wireguard-go " + gateway.interfaceName);
                System.out.println("  admit received → admit returned (device acknowledged the set): " + ack.summary());
                System.out.println("  admit received → peer listed by a separate UAPI get:          " + visible.summary());
                System.out.println("  for scale, one UAPI get of all " + admits + " peers alone:             " + read.summary());
            }
        }
    }

    /** A new UAPI connection reads the device and must list the peer with its tunnel address. */
    private static void requireVisible(BenchGateway gateway, PeerAdmission peer) throws Exception {
        WireGuardPublicKey key = BenchPeers.publicKey(peer);
        for (PeerState state : gateway.device.peers()) {
            if (state.publicKey().equals(key)) {
                if (!state.allowedIps().equals(peer.getAllowedIpsList())) {
                    throw new IllegalStateException("peer " + key + " has allowed IPs " + state.allowedIps());
                }
                return;
            }
        }
        throw new IllegalStateException("admit returned but the device does not list peer " + key);
    }
}
