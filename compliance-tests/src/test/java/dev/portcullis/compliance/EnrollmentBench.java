package dev.portcullis.compliance;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./bench enroll [invites=400] [concurrency=8] [steps=60]} (a benchmark, not a test; see
 * BENCHMARKS.md). On a real quickstart deployment (core with embedded PostgreSQL, edge-proxy),
 * through the proxy's public HTTPS:
 * <ol>
 *   <li>invite redemptions per second: invites pre-created through the admin API, redeemed by
 *       {@code concurrency} workers at once, each worker from its own loopback address (the proxy's
 *       per-address limit is lifted to its maximum anyway); twice, {@code invites} each time:
 *       every redemption on a new TLS connection (every invitee is a different browser), then each
 *       worker on one kept-alive connection (what core and the proxy do without the handshakes);</li>
 *   <li>one redemption alone on a kept-alive connection, {@code steps} times: the latency floor;</li>
 *   <li>the latency of two enrollment steps, one session at a time on {@code steps} of the redeemed
 *       sessions: {@code password} (Argon2id hashing in core) and {@code totp/confirm} (the code from
 *       oathtool, computed outside the timed call).</li>
 * </ol>
 */
public final class EnrollmentBench {

    private EnrollmentBench() {
    }

    /** A redeemed enrollment session: the cookie and the CSRF value. */
    private record Session(String cookie, String csrf) {
        String[] headers() {
            return new String[] {"Cookie", EnrollmentDeployment.ENROLL_COOKIE + "=" + cookie, "X-Portcullis-CSRF", csrf};
        }
    }

    public static void main(String[] args) throws Exception {
        int invites = args.length > 0 ? Integer.parseInt(args[0]) : 400;
        int concurrency = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 60;
        int warmup = Math.max(10, invites / 10);
        if (steps > invites) {
            throw new IllegalArgumentException("steps (" + steps + ") cannot exceed invites (" + invites + ")");
        }
        try (EnrollmentDeployment deployment = EnrollmentDeployment.start("bench-enroll")) {
            // The benchmark measures core and the proxy, not the per-address limit (the workers use
            // separate addresses anyway): lift the API limit to the most the edge-proxy accepts (core
            // would take up to 100,000, but the proxy refuses a configuration above 60,000).
            deployment.admin("component", "set", "edge-1", "--rate-limit", "60000");
            deployment.addLocationViaApi("bench", "10.90.0.0/16");
            long created = System.nanoTime();
            List<String> tokens = new ArrayList<>();
            for (int i = 0; i < warmup + 2 * invites + steps; i++) {
                tokens.add(createInvite(deployment, "bench-" + i));
            }
            System.out.printf(Locale.ROOT, "created %d users and invites through the admin API in %.1f s%n",
                    tokens.size(), (System.nanoTime() - created) / 1e9);

            EdgeClient edge = deployment.edge("127.0.0.100");
            redeemAll(edge, tokens.subList(0, warmup), concurrency, false, new ArrayList<>(), new ConcurrentLinkedQueue<>());
            ConcurrentLinkedQueue<Session> sessions = new ConcurrentLinkedQueue<>();
            int at = warmup;
            for (boolean keepAlive : new boolean[] {false, true}) {
                List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
                long start = System.nanoTime();
                int failures = redeemAll(edge, tokens.subList(at, at + invites), concurrency, keepAlive, latencies, sessions);
                double seconds = (System.nanoTime() - start) / 1e9;
                at += invites;
                System.out.printf(Locale.ROOT, "redeemed %d invites with %d concurrent clients, %s, in %.2f s: "
                        + "%.1f redemptions/s (failed: %d)%n", invites - failures, concurrency,
                        keepAlive ? "each on one kept-alive connection" : "each redemption on a new TLS connection",
                        seconds, (invites - failures) / seconds, failures);
                System.out.println("  one redemption: " + percentiles(latencies));
            }

            // The same call without the TLS handshake: one kept-alive connection, one redemption at a time.
            List<Long> alone = new ArrayList<>();
            try (EdgeClient.Connection connection = edge.from("127.0.0.98").connect()) {
                for (String token : tokens.subList(warmup + 2 * invites, tokens.size())) {
                    long t0 = System.nanoTime();
                    EdgeClient.Response redeemed = connection.postJson("/api/v1/enroll/redeem", Map.of("token", token));
                    alone.add(System.nanoTime() - t0);
                    expect(redeemed, 200);
                }
            }
            System.out.println("  one redemption alone, on a kept-alive connection: " + percentiles(alone));

            List<Long> password = new ArrayList<>();
            List<Long> totpConfirm = new ArrayList<>();
            List<Session> list = new ArrayList<>(sessions);
            try (EdgeClient.Connection connection = edge.from("127.0.0.99").connect()) {
                for (int i = 0; i < steps; i++) {
                    Session session = list.get(i);
                    long t0 = System.nanoTime();
                    EdgeClient.Response set = connection.postJson("/api/v1/enroll/password",
                            Map.of("password", "Harbor-lantern-" + i + "-quietly-river"), session.headers());
                    password.add(System.nanoTime() - t0);
                    expect(set, 204);
                    EdgeClient.Response totp = connection.postJson("/api/v1/enroll/totp/start", Map.of(), session.headers());
                    expect(totp, 200);
                    String code = Oathtool.totp(totp.json().path("secret").asText());
                    long t1 = System.nanoTime();
                    EdgeClient.Response confirmed = connection.postJson("/api/v1/enroll/totp/confirm", Map.of("code", code),
                            session.headers());
                    totpConfirm.add(System.nanoTime() - t1);
                    expect(confirmed, 204);
                }
            }
            System.out.println("enrollment steps, one session at a time (" + steps + " sessions, one kept-alive connection):");
            System.out.println("  password (Argon2id in core): " + percentiles(password));
            System.out.println("  totp/confirm:                " + percentiles(totpConfirm));
        }
    }

    /** One user and one invite through the admin API; returns the token. */
    private static String createInvite(EnrollmentDeployment deployment, String user) throws Exception {
        deployment.addUserViaApi(user, user + "@bench.example", "Bench " + user);
        return deployment.inviteViaApi(user).token();
    }

    /** Redeems every token with {@code concurrency} workers, each from its own source address; returns the failures. */
    private static int redeemAll(EdgeClient edge, List<String> tokens, int concurrency, boolean keepAlive,
                                 List<Long> latencies, ConcurrentLinkedQueue<Session> sessions) throws Exception {
        ConcurrentLinkedQueue<String> queue = new ConcurrentLinkedQueue<>(tokens);
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Integer>> workers = new ArrayList<>();
        try {
            for (int w = 0; w < concurrency; w++) {
                EdgeClient client = edge.from("127.0.1." + (w + 1));
                workers.add(pool.submit(() -> {
                    go.await();
                    return redeemQueue(client, keepAlive, queue, latencies, sessions);
                }));
            }
            go.countDown();
            int failures = 0;
            for (Future<Integer> worker : workers) {
                failures += worker.get(10, TimeUnit.MINUTES);
            }
            return failures;
        } finally {
            pool.shutdownNow();
        }
    }

    /** One worker: redeems tokens from the queue until it is empty; returns how many failed. */
    private static int redeemQueue(EdgeClient client, boolean keepAlive, ConcurrentLinkedQueue<String> queue,
                                   List<Long> latencies, ConcurrentLinkedQueue<Session> sessions) throws Exception {
        int failed = 0;
        EdgeClient.Connection connection = keepAlive ? client.connect() : null;
        try {
            String token;
            while ((token = queue.poll()) != null) {
                if (connection != null && !connection.open()) {
                    connection.close();
                    connection = client.connect();
                }
                long t0 = System.nanoTime();
                EdgeClient.Response redeemed = connection != null
                        ? connection.postJson("/api/v1/enroll/redeem", Map.of("token", token))
                        : client.postJson("/api/v1/enroll/redeem", Map.of("token", token));
                latencies.add(System.nanoTime() - t0);
                if (redeemed.status() == 200) {
                    sessions.add(new Session(redeemed.cookie(EnrollmentDeployment.ENROLL_COOKIE),
                            redeemed.json().path("csrf").asText()));
                } else {
                    failed++;
                    System.err.println("redeem failed: " + redeemed);
                }
            }
        } finally {
            if (connection != null) {
                connection.close();
            }
        }
        return failed;
    }

    private static void expect(EdgeClient.Response response, int status) {
        if (response.status() != status) {
            throw new IllegalStateException("expected " + status + ", got " + response);
        }
    }

    private static String percentiles(List<Long> nanos) {
        List<Long> sorted = new ArrayList<>(nanos);
        Collections.sort(sorted);
        if (sorted.isEmpty()) {
            return "(no samples)";
        }
        return String.format(Locale.ROOT, "p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms (n=%d)",
                at(sorted, 0.50), at(sorted, 0.90), at(sorted, 0.99), sorted.get(sorted.size() - 1) / 1e6, sorted.size());
    }

    private static double at(List<Long> sorted, double quantile) {
        int index = (int) Math.ceil(quantile * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index))) / 1e6;
    }
}
