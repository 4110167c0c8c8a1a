package dev.portcullis.compliance;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * {@code ./bench tunnel [users=240] [sessions=100] [concurrency=16] [profile=0]} (a benchmark, not
 * a test; see BENCHMARKS.md, "Tunnel sessions"). On a real quickstart deployment (core with
 * embedded PostgreSQL, edge-proxy) plus a {@link TunnelLab} location (a real gateway with
 * wireguard-go in a namespace, a service behind it, a device namespace), everything through the
 * edge-proxy's public HTTPS with each request signed by the device credential as SESSION-API.md
 * specifies:
 * <ol>
 *   <li>setup, not measured: {@code users} users enrolled through the enrollment API (redeem,
 *       password, TOTP with this class's own RFC 6238 generator, recovery codes, an agent device with
 *       a P-256 credential and an X25519 key generated here, complete);</li>
 *   <li><b>finish accepted → first packet through the tunnel</b>, one session at a time, {@code sessions}
 *       times, each by another user: a fresh wireguard-go interface in the device namespace with the
 *       device's key and address (untimed), a ping every 5 ms to the service running throughout (dropped
 *       until the interface has a peer), {@code start}, then {@code finish} (timed: the call itself), and
 *       right after its 200 the gateway peer with the session's preshared key through the interface's
 *       UAPI socket, as the agent does; measured from receiving the 200 to the first echo reply;</li>
 *   <li><b>MFA authorizations per second</b>: {@code concurrency} clients, each from its own loopback
 *       address on one kept-alive HTTPS connection, take users from a queue and authorize each with
 *       every TOTP step core would accept from it right now (start + finish; each finish admits on the
 *       gateway and waits for its acknowledgement); wall time from the first request to the last answer,
 *       and the CPU each process used meanwhile (from /proc). With {@code profile=1}, core records a
 *       Java Flight Recording of that phase (kept under /tmp; its path is printed).</li>
 * </ol>
 */
public final class TunnelBench {

    private static final int LAB = 9;
    private static final String LOCATION = "bench-tunnel";
    private static final String GROUP = "bench-tunnel-staff";
    private static final long STEP_SECONDS = 30;
    /** The lab's pool is a /24: the gateway has .1, so at most 253 devices get an address. */
    private static final int MAX_USERS = 250;
    private static final Pattern REPLY = Pattern.compile("^\\[(\\d+\\.\\d+)\\] \\d+ bytes from");
    private static final long CLOCK_TICKS = 100; // USER_HZ on Linux

    private TunnelBench() {
    }

    // ---- a device as its agent holds it -----------------------------------------------------------------

    /** One enrolled user with one agent device: its keys, its address at the lab, its TOTP secret and spent step. */
    static final class User {
        final String name;
        final KeyPair credential;
        final byte[] wgPrivate;
        final byte[] wgPublic;
        String deviceId;
        String address;
        byte[] totpKey;
        long lastSpentStep;
        private final AtomicLong lastTime = new AtomicLong();

        User(String name) throws Exception {
            this.name = name;
            KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
            ec.initialize(new ECGenParameterSpec("secp256r1"));
            this.credential = ec.generateKeyPair();
            KeyPair x = KeyPairGenerator.getInstance("X25519").generateKeyPair();
            byte[] spki = x.getPublic().getEncoded();
            byte[] pkcs8 = x.getPrivate().getEncoded();
            this.wgPublic = java.util.Arrays.copyOfRange(spki, spki.length - 32, spki.length);
            this.wgPrivate = java.util.Arrays.copyOfRange(pkcs8, pkcs8.length - 32, pkcs8.length);
        }

        /** Request times strictly increase per device: two requests alike in every signed part would be a replay. */
        long nextTime() {
            return lastTime.updateAndGet(last -> Math.max(last + 1, System.currentTimeMillis()));
        }

        /** The header SESSION-API.md specifies, over exactly these body bytes. */
        String authorization(String method, String path, byte[] body) throws Exception {
            long time = nextTime();
            String canonical = "portcullis-device-v1\n" + method + "\n" + path + "\n" + time + "\n"
                    + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
            Signature signer = Signature.getInstance("SHA256withECDSA");
            signer.initSign(credential.getPrivate());
            signer.update(canonical.getBytes(StandardCharsets.UTF_8));
            return "v1 device=" + deviceId + ", time=" + time + ", signature="
                    + Base64.getUrlEncoder().withoutPadding().encodeToString(signer.sign());
        }

        /** The unspent steps core accepts now (now-1, now, now+1 after the last spent), oldest first. */
        List<Long> acceptableSteps(boolean includePrevious) {
            long now = Totp.step();
            List<Long> steps = new ArrayList<>();
            for (long s = Math.max(lastSpentStep + 1, includePrevious ? now - 1 : now); s <= now + 1; s++) {
                steps.add(s);
            }
            return steps;
        }
    }

    /** A device-signed request on a kept-alive connection. */
    static EdgeClient.Response signed(EdgeClient.Connection connection, User user, String method, String path, Object body)
            throws Exception {
        byte[] bytes = body == null ? new byte[0] : EnrollmentDeployment.JSON.writeValueAsBytes(body);
        String authorization = user.authorization(method, path, bytes);
        if (body == null) {
            return connection.exchange(method, path, null, false, "X-Portcullis-Device-Auth", authorization);
        }
        return connection.exchange(method, path, bytes, false, "Content-Type", "application/json; charset=utf-8",
                "X-Portcullis-Device-Auth", authorization);
    }

    // ---- RFC 6238 ---------------------------------------------------------------------------------------

    /** TOTP as RFC 6238 with the enrollment API's parameters (SHA-1, 6 digits, 30 s), independent of core's code. */
    static final class Totp {
        private Totp() {
        }

        static long step() {
            return Instant.now().getEpochSecond() / STEP_SECONDS;
        }

        static long secondsLeftInStep() {
            return STEP_SECONDS - Instant.now().getEpochSecond() % STEP_SECONDS;
        }

        static String code(byte[] key, long step) throws Exception {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(key, "HmacSHA1"));
            byte[] hash = mac.doFinal(java.nio.ByteBuffer.allocate(8).putLong(step).array());
            int offset = hash[hash.length - 1] & 0x0f;
            int binary = ((hash[offset] & 0x7f) << 24) | ((hash[offset + 1] & 0xff) << 16)
                    | ((hash[offset + 2] & 0xff) << 8) | (hash[offset + 3] & 0xff);
            return String.format(Locale.ROOT, "%06d", binary % 1_000_000);
        }

        static byte[] base32(String text) {
            String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
            String clean = text.replaceAll("[\\s=]", "").toUpperCase(Locale.ROOT);
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            int buffer = 0;
            int bits = 0;
            for (char c : clean.toCharArray()) {
                int value = alphabet.indexOf(c);
                if (value < 0) {
                    throw new IllegalArgumentException("not Base32: " + c);
                }
                buffer = (buffer << 5) | value;
                bits += 5;
                if (bits >= 8) {
                    out.write((buffer >> (bits - 8)) & 0xff);
                    bits -= 8;
                }
            }
            return out.toByteArray();
        }
    }

    // ---- main -------------------------------------------------------------------------------------------

    public static void main(String[] args) throws Exception {
        int users = args.length > 0 ? Integer.parseInt(args[0]) : 240;
        int sessions = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        int concurrency = args.length > 2 ? Integer.parseInt(args[2]) : 16;
        boolean profile = args.length > 3 && !args[3].equals("0");
        if (users > MAX_USERS || sessions > users) {
            throw new IllegalArgumentException("users <= " + MAX_USERS + " (the lab's /24 pool) and sessions <= users");
        }
        System.out.println("load at start: " + uptime());
        try (EnrollmentDeployment deployment = EnrollmentDeployment.start("bench-tunnel");
             TunnelLab lab = new TunnelLab(deployment, LAB, LOCATION, GROUP, "--mfa", "totp")) {
            deployment.admin("component", "set", "edge-1", "--rate-limit", "60000");
            EdgeClient edge = deployment.edge("127.0.3.1");

            long setup = System.nanoTime();
            List<User> all = enrollAll(deployment, edge, users);
            System.out.printf(Locale.ROOT, "setup: %d users enrolled with an agent device each through the edge-proxy in %.1f s%n",
                    all.size(), (System.nanoTime() - setup) / 1e9);
            checkTotpAgainstOathtool(all.get(0));

            TunnelLab.Device device = lab.device("dev", deployment.work.resolve("bench-device"));
            firstPacket(lab, edge, all.subList(0, sessions), device);
            System.out.println("load after the first-packet phase: " + uptime());

            throughput(deployment, lab, edge, all, concurrency, profile);
            System.out.println("load at the end: " + uptime());
        }
    }

    // ---- setup: enrollment through the public API ----------------------------------------------------------

    private static List<User> enrollAll(EnrollmentDeployment deployment, EdgeClient edge, int count) throws Exception {
        List<User> users = new ArrayList<>();
        ConcurrentLinkedQueue<User> queue = new ConcurrentLinkedQueue<>();
        for (int i = 0; i < count; i++) {
            User user = new User("tb-" + i);
            deployment.addUserViaApi(user.name, user.name + "@bench.example", "Bench " + i, GROUP);
            users.add(user);
        }
        Map<User, String> tokens = new LinkedHashMap<>();
        for (User user : users) {
            tokens.put(user, deployment.inviteViaApi(user.name).token());
        }
        queue.addAll(users);
        int workers = 4;
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                EdgeClient client = edge.from("127.0.3." + (10 + w));
                done.add(pool.submit(() -> {
                    EdgeClient.Connection connection = client.connect();
                    try {
                        User user;
                        while ((user = queue.poll()) != null) {
                            if (!connection.open()) {
                                connection.close();
                                connection = client.connect();
                            }
                            enroll(connection, user, tokens.get(user));
                        }
                    } finally {
                        connection.close();
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(20, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        return users;
    }

    private static void enroll(EdgeClient.Connection connection, User user, String token) throws Exception {
        EdgeClient.Response redeemed = expect(connection.postJson("/api/v1/enroll/redeem", Map.of("token", token)), 200);
        String[] session = {"Cookie", EnrollmentDeployment.ENROLL_COOKIE + "=" + redeemed.cookie(EnrollmentDeployment.ENROLL_COOKIE),
                "X-Portcullis-CSRF", redeemed.json().path("csrf").asText()};
        expect(connection.postJson("/api/v1/enroll/password", Map.of("password", "Harbor-lantern-" + user.name.hashCode() + "-quietly-river"),
                session), 204);
        EdgeClient.Response totp = expect(connection.postJson("/api/v1/enroll/totp/start", Map.of(), session), 200);
        user.totpKey = Totp.base32(totp.json().path("secret").asText());
        while (Totp.secondsLeftInStep() < 3) {
            Thread.sleep(200);
        }
        long step = Totp.step();
        expect(connection.postJson("/api/v1/enroll/totp/confirm", Map.of("code", Totp.code(user.totpKey, step)), session), 204);
        user.lastSpentStep = step;
        expect(connection.postJson("/api/v1/enroll/recovery-codes", Map.of(), session), 200);
        Map<String, Object> device = new LinkedHashMap<>();
        device.put("name", user.name + "-laptop");
        device.put("wireguardPublicKey", Base64.getEncoder().encodeToString(user.wgPublic));
        device.put("credentialPublicKey", Base64.getEncoder().encodeToString(user.credential.getPublic().getEncoded()));
        device.put("kind", "agent");
        JsonNode created = expect(connection.postJson("/api/v1/enroll/devices", device, session), 201).json();
        user.deviceId = created.path("device").path("id").asText();
        for (JsonNode location : created.path("locations")) {
            if (LOCATION.equals(location.path("name").asText())) {
                user.address = location.path("address").asText();
            }
        }
        if (user.address == null) {
            throw new IllegalStateException("no address at " + LOCATION + " for " + user.name + ": " + created);
        }
        expect(connection.postJson("/api/v1/enroll/complete", Map.of(), session), 200);
    }

    /** This class's TOTP against Debian's oathtool, once: the codes the benchmark sends are standard ones. */
    private static void checkTotpAgainstOathtool(User user) throws Exception {
        long step = Totp.step() + 7;
        String ours = Totp.code(user.totpKey, step);
        String theirs = Oathtool.totpAtStep(base32Of(user.totpKey), step);
        if (!ours.equals(theirs)) {
            throw new IllegalStateException("the benchmark's RFC 6238 codes disagree with oathtool's");
        }
    }

    private static String base32Of(byte[] bytes) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        StringBuilder out = new StringBuilder();
        int buffer = 0;
        int bits = 0;
        for (byte b : bytes) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                out.append(alphabet.charAt((buffer >> (bits - 5)) & 31));
                bits -= 5;
            }
        }
        if (bits > 0) {
            out.append(alphabet.charAt((buffer << (5 - bits)) & 31));
        }
        return out.toString();
    }

    // ---- (1) finish accepted → first packet through the tunnel -------------------------------------------

    private static void firstPacket(TunnelLab lab, EdgeClient edge, List<User> users, TunnelLab.Device device) throws Exception {
        String serviceNet = "10." + (200 + LAB) + ".0.0/24";
        List<Long> finishCall = new ArrayList<>();
        List<Long> toUapiDone = new ArrayList<>();
        List<Long> toFirstReply = new ArrayList<>();
        int index = 0;
        String endpointSeen = null;
        try (EdgeClient.Connection connection = edge.from("127.0.3.2").connect()) {
            for (User user : users) {
                String ifc = lab.net.interfaceName("d" + index++);
                lab.net.exec(device.namespace(), "wireguard-go", ifc);
                uapi(ifc, "set=1\nprivate_key=" + HexFormat.of().formatHex(user.wgPrivate) + "\nlisten_port=0\n");
                lab.net.exec(device.namespace(), "ip", "address", "add", user.address, "dev", ifc);
                lab.net.exec(device.namespace(), "ip", "link", "set", ifc, "mtu", "1420", "up");
                lab.net.exec(device.namespace(), "ip", "route", "replace", serviceNet, "dev", ifc);
                Process ping = new ProcessBuilder("ip", "netns", "exec", device.ns(), "stdbuf", "-oL", "ping", "-D", "-n",
                        "-i", "0.005", "-w", "20", lab.service).redirectErrorStream(true).start();
                CompletableFuture<Double> firstReply = firstReply(ping);
                try {
                    EdgeClient.Response started = expect(signed(connection, user, "POST", "/api/v1/tunnel/sessions",
                            Map.of("location", LOCATION, "method", "totp")), 201);
                    long step = user.acceptableSteps(false).get(0);
                    Map<String, Object> body = Map.of("attempt", started.json().path("attempt").asText(),
                            "code", Totp.code(user.totpKey, step));
                    long t0 = System.nanoTime();
                    EdgeClient.Response finished = signed(connection, user, "POST", "/api/v1/tunnel/sessions/finish", body);
                    long t1 = System.nanoTime();
                    Instant answered = Instant.now();
                    expect(finished, 200);
                    user.lastSpentStep = step;
                    JsonNode session = finished.json().path("session");
                    JsonNode gateway = session.path("gateways").get(0);
                    String endpoint = gateway.path("endpoint").asText();
                    if (endpoint.isEmpty() || endpoint.startsWith("null")) {
                        endpoint = lab.gatewayHost + ":51820";
                    }
                    StringBuilder peer = new StringBuilder("set=1\n");
                    peer.append("public_key=").append(hex(gateway.path("publicKey").asText())).append('\n');
                    peer.append("preshared_key=").append(hex(session.path("presharedKey").asText())).append('\n');
                    peer.append("endpoint=").append(endpoint).append('\n');
                    peer.append("persistent_keepalive_interval=25\n");
                    peer.append("replace_allowed_ips=true\n");
                    for (JsonNode allowed : session.path("allowedIps")) {
                        peer.append("allowed_ip=").append(allowed.asText()).append('\n');
                    }
                    uapi(ifc, peer.toString());
                    long t2 = System.nanoTime();
                    double reply = firstReply.get(15, TimeUnit.SECONDS);
                    long answeredNanos = answered.getEpochSecond() * 1_000_000_000L + answered.getNano();
                    finishCall.add(t1 - t0);
                    toUapiDone.add(t2 - t1);
                    toFirstReply.add(Math.round(reply * 1e9) - answeredNanos);
                    endpointSeen = endpoint;
                } finally {
                    ping.descendants().forEach(ProcessHandle::destroyForcibly);
                    ping.destroyForcibly();
                    ping.waitFor(5, TimeUnit.SECONDS);
                    lab.net.tryExec(device.namespace(), "ip", "link", "delete", ifc);
                }
            }
        }
        System.out.println("finish accepted → first packet through the tunnel (" + users.size()
                + " sessions, one at a time, each a new peer on the gateway; endpoint " + endpointSeen + "):");
        System.out.println("  finish call (code checked → gateway acknowledged → 200): " + percentiles(finishCall));
        System.out.println("  200 received → peer with PSK set through UAPI:            " + percentiles(toUapiDone));
        System.out.println("  200 received → first echo reply from the service:         " + percentiles(toFirstReply));
    }

    /** Completes with the time (epoch seconds, ping's own receive timestamp) of the first echo reply. */
    private static CompletableFuture<Double> firstReply(Process ping) {
        CompletableFuture<Double> first = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(ping.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    Matcher m = REPLY.matcher(line);
                    if (m.find() && !first.isDone()) {
                        first.complete(Double.parseDouble(m.group(1)));
                    }
                }
                first.completeExceptionally(new IllegalStateException("ping ended without a reply"));
            } catch (IOException e) {
                first.completeExceptionally(e);
            }
        }, "ping-reader");
        reader.setDaemon(true);
        reader.start();
        return first;
    }

    private static String hex(String base64) {
        return HexFormat.of().formatHex(Base64.getDecoder().decode(base64));
    }

    /** One UAPI transaction on a wireguard-go interface's socket, as the agent's driver does; fails unless errno=0. */
    private static void uapi(String ifc, String request) throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(Path.of("/var/run/wireguard", ifc + ".sock")));
            ByteBuffer out = ByteBuffer.wrap((request + "\n").getBytes(StandardCharsets.US_ASCII));
            while (out.hasRemaining()) {
                channel.write(out);
            }
            ByteBuffer in = ByteBuffer.allocate(4096);
            StringBuilder answer = new StringBuilder();
            while (!answer.toString().endsWith("\n\n")) {
                in.clear();
                if (channel.read(in) < 0) {
                    break;
                }
                in.flip();
                answer.append(StandardCharsets.US_ASCII.decode(in));
            }
            if (!answer.toString().startsWith("errno=0")) {
                throw new IOException("UAPI set on " + ifc + " answered " + answer.toString().strip());
            }
        }
    }

    // ---- (2) MFA authorizations per second --------------------------------------------------------------

    private static void throughput(EnrollmentDeployment deployment, TunnelLab lab, EdgeClient edge, List<User> users,
                                   int concurrency, boolean profile) throws Exception {
        // Start just after a step boundary, so that now-1, now and now+1 all stay acceptable for ~28 s.
        while (!(Totp.secondsLeftInStep() <= 29 && Totp.secondsLeftInStep() >= 27)) {
            Thread.sleep(100);
        }
        record Work(User user, List<Long> steps) {
        }
        ConcurrentLinkedQueue<Work> queue = new ConcurrentLinkedQueue<>();
        int planned = 0;
        List<User> shuffled = new ArrayList<>(users);
        Collections.shuffle(shuffled, new java.util.Random(7));
        for (User user : shuffled) {
            List<Long> steps = user.acceptableSteps(true);
            planned += steps.size();
            queue.add(new Work(user, steps));
        }
        Map<String, List<Long>> pids = processes(deployment, lab);
        Path recording = null;
        if (profile) {
            recording = Path.of("/tmp", "portcullis-tunnel-bench-core-" + System.currentTimeMillis() + ".jfr");
            jcmd(deployment.quickstart.pid("core"), "JFR.start", "name=tunnelbench", "settings=profile",
                    "filename=" + recording);
        }
        List<Long> startLatency = Collections.synchronizedList(new ArrayList<>());
        List<Long> finishLatency = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger admitted = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> workers = new ArrayList<>();
        List<EdgeClient.Connection> connections = new ArrayList<>();
        for (int w = 0; w < concurrency; w++) {
            connections.add(edge.from("127.0.2." + (w + 1)).connect());
        }
        Map<String, Long> cpuBefore = cpu(pids);
        long[] machineBefore = machineCpu();
        long begin;
        try {
            for (int w = 0; w < concurrency; w++) {
                EdgeClient.Connection connection = connections.get(w);
                workers.add(pool.submit(() -> {
                    go.await();
                    Work work;
                    while ((work = queue.poll()) != null) {
                        for (long step : work.steps()) {
                            long t0 = System.nanoTime();
                            EdgeClient.Response started = signed(connection, work.user(), "POST", "/api/v1/tunnel/sessions",
                                    Map.of("location", LOCATION, "method", "totp"));
                            long t1 = System.nanoTime();
                            if (started.status() != 201) {
                                failed.incrementAndGet();
                                System.err.println("start " + work.user().name + ": " + started);
                                continue;
                            }
                            Map<String, Object> body = Map.of("attempt", started.json().path("attempt").asText(),
                                    "code", Totp.code(work.user().totpKey, step));
                            long t2 = System.nanoTime();
                            EdgeClient.Response finished = signed(connection, work.user(), "POST",
                                    "/api/v1/tunnel/sessions/finish", body);
                            long t3 = System.nanoTime();
                            startLatency.add(t1 - t0);
                            finishLatency.add(t3 - t2);
                            if (finished.status() == 200) {
                                admitted.incrementAndGet();
                                work.user().lastSpentStep = step;
                            } else {
                                failed.incrementAndGet();
                                System.err.println("finish " + work.user().name + " step " + step + ": " + finished);
                            }
                        }
                    }
                    return null;
                }));
            }
            begin = System.nanoTime();
            go.countDown();
            for (Future<?> worker : workers) {
                worker.get(10, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
            for (EdgeClient.Connection connection : connections) {
                connection.close();
            }
        }
        double seconds = (System.nanoTime() - begin) / 1e9;
        Map<String, Long> cpuAfter = cpu(pids);
        long[] machineAfter = machineCpu();
        if (recording != null) {
            jcmd(deployment.quickstart.pid("core"), "JFR.stop", "name=tunnelbench");
        }
        System.out.printf(Locale.ROOT, "MFA authorizations (start + finish, each admitted on the gateway and acknowledged): "
                        + "%d of %d planned in %.2f s with %d clients on kept-alive connections: %.1f authorizations/s (failed: %d)%n",
                admitted.get(), planned, seconds, concurrency, admitted.get() / seconds, failed.get());
        System.out.println("  start:  " + percentiles(startLatency));
        System.out.println("  finish: " + percentiles(finishLatency));
        long busy = machineAfter[0] - machineBefore[0];
        long total = machineAfter[1] - machineBefore[1];
        long ours = 0;
        StringBuilder line = new StringBuilder();
        for (Map.Entry<String, Long> entry : cpuAfter.entrySet()) {
            long used = entry.getValue() - cpuBefore.getOrDefault(entry.getKey(), 0L);
            ours += used;
            line.append(String.format(Locale.ROOT, "%n    %-32s %6.2f CPU-s  %5.1f %% of the machine's busy time  %6.2f ms/authorization",
                    entry.getKey(), used / (double) CLOCK_TICKS, 100.0 * used / Math.max(1, busy),
                    1000.0 * used / CLOCK_TICKS / Math.max(1, admitted.get())));
        }
        line.append(String.format(Locale.ROOT, "%n    %-32s %6.2f CPU-s  %5.1f %%", "everything else on the machine",
                (busy - ours) / (double) CLOCK_TICKS, 100.0 * (busy - ours) / Math.max(1, busy)));
        System.out.printf(Locale.ROOT, "  CPU meanwhile (from /proc; the machine was %.0f %% busy over its %d cores):%s%n",
                100.0 * busy / Math.max(1, total), Runtime.getRuntime().availableProcessors(), line);
        if (recording != null) {
            System.out.println("  core's flight recording of this phase: " + recording);
        }
    }

    // ---- CPU from /proc -----------------------------------------------------------------------------------

    /** The processes whose CPU is reported, by name; PostgreSQL is the postmaster and all its children. */
    private static Map<String, List<Long>> processes(EnrollmentDeployment deployment, TunnelLab lab) throws IOException {
        Map<String, List<Long>> pids = new LinkedHashMap<>();
        pids.put("core (JVM)", List.of(deployment.quickstart.pid("core")));
        Path postmaster = deployment.coreHome().resolve("pgdata").resolve("postmaster.pid");
        long pg = Long.parseLong(Files.readAllLines(postmaster).get(0).strip());
        List<Long> pgTree = new ArrayList<>(List.of(pg));
        ProcessHandle.of(pg).ifPresent(h -> h.descendants().forEach(d -> pgTree.add(d.pid())));
        pids.put("PostgreSQL (" + pgTree.size() + " processes)", pgTree);
        pids.put("edge-proxy (JVM)", List.of(deployment.quickstart.pid("edge-1")));
        pids.put("gateway (JVM)", List.of(lab.gatewayPid()));
        List<Long> wg = new ArrayList<>();
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path proc : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmdline = Files.readString(proc.resolve("cmdline")).replace('\0', ' ');
                    if (cmdline.contains("wireguard-go") && cmdline.contains(lab.gatewayInterface) && !cmdline.contains("java")) {
                        wg.add(Long.parseLong(proc.getFileName().toString()));
                    }
                } catch (IOException e) {
                    // gone meanwhile
                }
            }
        }
        pids.put("gateway's wireguard-go", wg);
        pids.put("this benchmark's client (JVM)", List.of(ProcessHandle.current().pid()));
        return pids;
    }

    private static Map<String, Long> cpu(Map<String, List<Long>> pids) {
        Map<String, Long> ticks = new LinkedHashMap<>();
        pids.forEach((name, list) -> ticks.put(name, list.stream().mapToLong(TunnelBench::ticks).sum()));
        return ticks;
    }

    /** utime + stime of one process (all its threads), in clock ticks; 0 if it is gone. */
    private static long ticks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** {busy, total} clock ticks of all CPUs from /proc/stat. */
    private static long[] machineCpu() throws IOException {
        String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long user = Long.parseLong(f[1]);
        long nice = Long.parseLong(f[2]);
        long system = Long.parseLong(f[3]);
        long idle = Long.parseLong(f[4]);
        long iowait = Long.parseLong(f[5]);
        long irq = Long.parseLong(f[6]);
        long softirq = Long.parseLong(f[7]);
        long steal = Long.parseLong(f[8]);
        long busy = user + nice + system + irq + softirq + steal;
        return new long[] {busy, busy + idle + iowait};
    }

    private static void jcmd(long pid, String... command) throws Exception {
        List<String> line = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(pid)));
        line.addAll(List.of(command));
        Process process = new ProcessBuilder(line).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("jcmd " + String.join(" ", command) + ": " + out);
        }
    }

    private static String uptime() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (IOException e) {
            return "(unknown)";
        }
    }

    // ---- small things ---------------------------------------------------------------------------------------

    private static EdgeClient.Response expect(EdgeClient.Response response, int status) {
        if (response.status() != status) {
            throw new IllegalStateException("expected " + status + ", got " + response);
        }
        return response;
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
