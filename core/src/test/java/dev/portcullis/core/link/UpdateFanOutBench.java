package dev.portcullis.core.link;

import dev.portcullis.pki.authority.CertificateAuthority;
import dev.portcullis.pki.cert.CaFingerprint;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.join.JoinToken;
import dev.portcullis.pki.store.CredentialStore;
import dev.portcullis.protocol.link.ComponentLink;
import dev.portcullis.protocol.link.LinkSettings;
import dev.portcullis.protocol.link.LinkState;
import dev.portcullis.protocol.v1.ProxyResponse;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Benchmark, not a test: how long an update takes to reach N connected components.
 * One core link supervisor and N real component links (each its own gRPC server with mTLS on
 * loopback) in one JVM. Measures adoption of all N, then the time from
 * {@code configurationChanged} for every component until every component has applied it.
 * <p>
 * Run: {@code ./bench fanout [components] [rounds]}. Results and method: BENCHMARKS.md.
 */
public final class UpdateFanOutBench {

    private UpdateFanOutBench() {
    }

    public static void main(String[] args) throws Exception {
        int components = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        Clock clock = Clock.systemUTC();
        CertificateAuthority ca = CertificateAuthority.create("bench", clock);
        FakeDirectory directory = new FakeDirectory(clock, CaFingerprint.of(ca.certificate()));
        Path state = Files.createTempDirectory("portcullis-fanout");
        SupervisorSettings settings = new SupervisorSettings(Duration.ofDays(7), 2.0 / 3.0, Duration.ofMillis(100),
                Duration.ofSeconds(2), clock);
        List<ComponentLink> links = new ArrayList<>();
        List<RecordingHandler> handlers = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        try (LinkSupervisor supervisor = new LinkSupervisor(directory, ca,
                (request, edge) -> ProxyResponse.newBuilder().setStatus(200).build(), settings)) {
            supervisor.start();
            long adoptionStart = System.nanoTime();
            for (int i = 0; i < components; i++) {
                JoinToken token = directory.register("gw-" + i, PeerIdentity.Role.GATEWAY, 0, Duration.ofHours(1));
                RecordingHandler handler = new RecordingHandler();
                ComponentLink link = ComponentLink.start(new LinkSettings(PeerIdentity.Role.GATEWAY,
                        new InetSocketAddress("127.0.0.1", 0), new CredentialStore(state.resolve("gw-" + i)),
                        Optional.of(token), clock, "bench"), handler);
                directory.movePort(token.componentId(), link.port());
                supervisor.componentRegistered(token.componentId());
                links.add(link);
                handlers.add(handler);
                ids.add(token.componentId());
            }
            waitUntil(() -> links.stream().allMatch(l -> l.state() == LinkState.CONNECTED), Duration.ofMinutes(5),
                    "all components connected");
            double adoptionSeconds = (System.nanoTime() - adoptionStart) / 1e9;

            long[] micros = new long[rounds];
            for (int round = 0; round < rounds; round++) {
                String notice = "round-" + round;
                long start = System.nanoTime();
                for (String id : ids) {
                    supervisor.configurationChanged(id, directory.setNotice(id, notice));
                }
                waitUntil(() -> handlers.stream().allMatch(h -> notice.equals(h.notice)), Duration.ofSeconds(30),
                        "round " + round + " applied everywhere");
                micros[round] = (System.nanoTime() - start) / 1000;
            }
            Arrays.sort(micros);
            System.out.printf("components=%d rounds=%d%n", components, rounds);
            System.out.printf("adopt+connect all: %.2f s%n", adoptionSeconds);
            System.out.printf("update reaches all %d components: p50=%.1f ms p90=%.1f ms p99=%.1f ms max=%.1f ms%n",
                    components, micros[rounds / 2] / 1000.0, micros[(int) (rounds * 0.9)] / 1000.0,
                    micros[Math.min(rounds - 1, (int) Math.ceil(rounds * 0.99) - 1)] / 1000.0,
                    micros[rounds - 1] / 1000.0);
        } finally {
            links.forEach(ComponentLink::close);
        }
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition, Duration timeout, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out: " + what);
            }
            Thread.sleep(1);
        }
    }
}
