package dev.portcullis.gateway.bench;

import dev.portcullis.gateway.admission.Admissions;
import dev.portcullis.gateway.testnet.TestNetwork;
import dev.portcullis.protocol.wireguard.PeerChanges;
import dev.portcullis.protocol.wireguard.PeerConfig;
import dev.portcullis.protocol.wireguard.WireGuardInterfaces;
import dev.portcullis.pki.wireguard.PresharedKey;
import dev.portcullis.protocol.v1.PeerAdmission;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Benchmark, not a test: core's full configuration of 10,000 peers applied to an empty
 * wireguard-go interface, and one change on top of 0, 1,000 and 10,000 peers in the same run.
 * <p>
 * Everything goes through the real {@code Admissions} engine and {@code UapiDevice} against real
 * wireguard-go in a namespace, as the gateway's control handler does: a snapshot is
 * {@code applySnapshot(peers)} (read the device, one UAPI {@code set} with every difference,
 * record), a change is {@code admit(peer)}. Steps:
 * <ol>
 *   <li>Fresh interfaces, one per round: time {@code applySnapshot} of all N peers onto an empty
 *       interface (the headline), and on the last one time re-applying the identical snapshot
 *       (what a reconnect costs when nothing changed: one read of N peers, no {@code set}). For
 *       comparison, the same N peers as one raw {@code UapiDevice.apply} on another fresh
 *       interface: wireguard-go's own share of the time.</li>
 *   <li>Main interface: single admits at 0 peers; snapshot of 1,000; single admits at 1,000;
 *       snapshot of N (1,000 unchanged, the rest added); single admits at N. A single change is
 *       one {@code admit} of a new peer, timed until it returns, then an untimed {@code evict} so
 *       the count stays put, then a pause so the engine's asynchronous state file write of the
 *       previous change (which does grow with the peer count) is not what is measured.</li>
 * </ol>
 * Run: {@code ./bench gateway-scale [peers=10000] [changes=100] [rounds=3]}. Results and method: BENCHMARKS.md.
 */
public final class SnapshotScaleBench {

    /** Between single changes: changes arrive one at a time, not as a burst (the admit bench covers bursts). */
    private static final long PAUSE_MILLIS = 100;

    private SnapshotScaleBench() {
    }

    public static void main(String[] args) throws Exception {
        int peers = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int changes = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int small = Math.min(1_000, peers);
        if (peers > Admissions.MAX_PEERS) {
            throw new IllegalArgumentException("at most " + Admissions.MAX_PEERS + " peers");
        }
        long generating = System.nanoTime();
        List<PeerAdmission> snapshot = BenchPeers.admissions(0, peers);
        List<PeerAdmission> probes = BenchPeers.admissions(2_000_000, changes * 4);
        System.out.println("gateway-scale: generated " + peers + " admissions in "
                + Latencies.millis(System.nanoTime() - generating) + " (not measured below)");

        try (TestNetwork network = new TestNetwork()) {
            TestNetwork.Namespace namespace = network.namespace("gw");

            List<String> fullApplies = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                try (BenchGateway fresh = new BenchGateway(network, namespace, "s" + round)) {
                    long start = System.nanoTime();
                    Admissions.Reconciliation result = fresh.admissions.applySnapshot(snapshot);
                    long elapsed = System.nanoTime() - start;
                    requireCount(fresh, peers);
                    fullApplies.add(Latencies.millis(elapsed));
                    System.out.println("  round " + round + ": snapshot of " + peers + " onto an empty interface: "
                            + Latencies.millis(elapsed) + " " + result);
                    if (round == rounds) {
                        start = System.nanoTime();
                        result = fresh.admissions.applySnapshot(snapshot);
                        System.out.println("  the identical snapshot again (reconnect, nothing changed): "
                                + Latencies.millis(System.nanoTime() - start) + " " + result);
                    }
                    WireGuardInterfaces.delete(fresh.interfaceName, namespace.name());
                }
            }

            // wireguard-go's own share: the same peers as one raw UAPI set, no engine around it.
            try (BenchGateway raw = new BenchGateway(network, namespace, "r")) {
                List<PeerConfig> configs = snapshot.stream().map(peer -> new PeerConfig(BenchPeers.publicKey(peer),
                        PresharedKey.fromBytes(peer.getPresharedKey().toByteArray()), peer.getAllowedIpsList())).toList();
                long start = System.nanoTime();
                raw.device.apply(new PeerChanges(configs, List.of()));
                long set = System.nanoTime() - start;
                start = System.nanoTime();
                raw.device.peers();
                long get = System.nanoTime() - start;
                System.out.println("  the same " + peers + " peers as one raw UAPI set (no engine): " + Latencies.millis(set)
                        + "; one UAPI get of them: " + Latencies.millis(get));
                WireGuardInterfaces.delete(raw.interfaceName, namespace.name());
            }

            try (BenchGateway gateway = new BenchGateway(network, namespace, "m")) {
                // Warm-up (not counted): the JIT sees the single-change path before the first measurement.
                singleChanges(gateway, probes.subList(changes * 3, changes * 4));
                Latencies atZero = singleChanges(gateway, probes.subList(0, changes));

                long start = System.nanoTime();
                Admissions.Reconciliation grown = gateway.admissions.applySnapshot(snapshot.subList(0, small));
                System.out.println("  snapshot of " + small + " onto an empty interface: "
                        + Latencies.millis(System.nanoTime() - start) + " " + grown);
                requireCount(gateway, small);
                Latencies atSmall = singleChanges(gateway, probes.subList(changes, changes * 2));

                start = System.nanoTime();
                grown = gateway.admissions.applySnapshot(snapshot);
                System.out.println("  snapshot of " + peers + " onto the " + small + " already there: "
                        + Latencies.millis(System.nanoTime() - start) + " " + grown);
                requireCount(gateway, peers);
                Latencies atFull = singleChanges(gateway, probes.subList(changes * 2, changes * 3));

                System.out.println("gateway-scale results (" + peers + " peers, " + changes + " single changes per size):");
                System.out.println("  full configuration of " + peers + " peers onto an empty interface, " + rounds
                        + " rounds: " + String.join(", ", fullApplies));
                System.out.println("  one admit on top of     0 peers: " + atZero.summary());
                System.out.println("  one admit on top of " + String.format(Locale.ROOT, "%5d", small) + " peers: "
                        + atSmall.summary());
                System.out.println("  one admit on top of " + String.format(Locale.ROOT, "%5d", peers) + " peers: "
                        + atFull.summary());
                System.out.println(String.format(Locale.ROOT,
                        "  ratio of p50 single-change time, %d peers : %d : 0 = %.2f : %.2f : 1", peers, small,
                        atFull.percentileMillis(50) / atZero.percentileMillis(50),
                        atSmall.percentileMillis(50) / atZero.percentileMillis(50)));
            }
        }
    }

    private static Latencies singleChanges(BenchGateway gateway, List<PeerAdmission> probes) throws Exception {
        Latencies latencies = new Latencies();
        for (PeerAdmission probe : probes) {
            Thread.sleep(PAUSE_MILLIS);
            long start = System.nanoTime();
            gateway.admissions.admit(probe);
            latencies.add(System.nanoTime() - start);
            gateway.admissions.evict(BenchPeers.eviction(probe));
        }
        return latencies;
    }

    private static void requireCount(BenchGateway gateway, int expected) throws Exception {
        int onDevice = gateway.device.peers().size();
        if (onDevice != expected) {
            throw new IllegalStateException("the device has " + onDevice + " peers, expected " + expected);
        }
    }
}
