package dev.portcullis.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsServer;
import dev.portcullis.agent.api.EnrollmentApi;
import dev.portcullis.agent.state.DeviceKeys;
import dev.portcullis.agent.state.EnrollmentRecord;
import dev.portcullis.agent.state.StateDirectory;
import dev.portcullis.pki.cert.KeyPairs;
import dev.portcullis.pki.enroll.TrustAnchorPin;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A fake edge-proxy + core for the tunnel API of SESSION-API.md: a JDK HTTPS server (TLS 1.3,
 * self-signed) on 127.0.0.1 that verifies every request's device signature with the device's
 * public key (and refuses replays and stale times, 401 as core does), runs TOTP and WebAuthn
 * attempts, and hands out sessions with fresh preshared keys. A hook plays the gateways' part
 * (admit with the PSK) so namespace tests can check a real handshake.
 */
final class FakeCore implements AutoCloseable {

    static final String GOOD_CODE = "123456";
    static final String DEVICE_ID = "3f1c9a52-7d7e-4b8e-9a51-0c1d2e3f4a5b";
    static final String NEUTRAL = "This device is not recognised. Enroll it again with a new invite.";
    private static final Pattern AUTH = Pattern.compile("v1 device=([0-9a-f-]+), time=([0-9]+), signature=([A-Za-z0-9_-]+)");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    /** One gateway of the location. */
    record Gateway(String name, String endpoint, String publicKey) {
    }

    /** A session as core holds it. */
    record Live(String id, String psk, Instant startedAt, Instant notAfter, String method) {
    }

    private final HttpsServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final X509Certificate certificate;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final Set<String> seenSignatures = ConcurrentHashMap.newKeySet();
    private final List<String> rejected = new CopyOnWriteArrayList<>();
    private PublicKey devicePublicKey;

    // Configuration and state; guarded by "this".
    private List<Gateway> gateways = List.of(new Gateway("gw-1", "203.0.113.7:51820", Base64.getEncoder().encodeToString(new byte[32])));
    private List<String> methods = List.of("TOTP", "WEBAUTHN");
    private Duration lifetime = Duration.ofHours(8);
    private int attemptsLeft = 5;
    private Integer finishStatus;
    private Integer locationsStatus;
    private int webauthnWaits;
    private String attempt;
    private String attemptMethod;
    private Live live;
    private final List<String> ended = new ArrayList<>();
    private Consumer<Live> admit = session -> { };

    FakeCore() throws Exception {
        KeyPair keyPair = KeyPairs.generate();
        certificate = FakeProxy.selfSigned(keyPair, List.of("localhost"), List.of("127.0.0.1"));
        server = FakeProxy.startHttps(keyPair, certificate, this::handle, threads);
    }

    URI origin() {
        return URI.create("https://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Makes {@code home} an enrolled device of this core (keys generated here, as enroll does) and returns its keys' state dir. */
    StateDirectory enroll(Path home) throws Exception {
        StateDirectory state = StateDirectory.resolve(home, Map.of(), home);
        DeviceKeys keys = DeviceKeys.generate();
        state.saveDeviceKeys(keys);
        state.saveEnrollment(new EnrollmentRecord(EnrollmentRecord.FORMAT, origin().toString(),
                TrustAnchorPin.encode(TrustAnchorPin.of(new X509Certificate[] {certificate})),
                new EnrollmentApi.User("alice", "alice@example.com", "Alice Example"),
                new EnrollmentApi.Device(DEVICE_ID, "alice-laptop", "agent"), keys.wireguardPublicKey().base64(),
                keys.credentialPublicKeyBase64(), List.of(), Instant.now().toString()));
        devicePublicKey = KeyFactory.getInstance("EC").generatePublic(
                new X509EncodedKeySpec(Base64.getDecoder().decode(keys.credentialPublicKeyBase64())));
        return state;
    }

    synchronized void gateways(List<Gateway> gateways) {
        this.gateways = List.copyOf(gateways);
    }

    synchronized void methods(List<String> methods) {
        this.methods = List.copyOf(methods);
    }

    synchronized void lifetime(Duration lifetime) {
        this.lifetime = lifetime;
    }

    synchronized void finishStatus(Integer status) {
        this.finishStatus = status;
    }

    synchronized void locationsStatus(Integer status) {
        this.locationsStatus = status;
    }

    synchronized void webauthnWaits(int polls) {
        this.webauthnWaits = polls;
    }

    /** What the gateways do on admission (the namespace tests put the PSK on a real wireguard-go). */
    synchronized void onAdmit(Consumer<Live> admit) {
        this.admit = admit;
    }

    /** An admin revokes the live session. */
    synchronized void revoke() {
        live = null;
    }

    synchronized Live live() {
        return live;
    }

    synchronized List<String> ended() {
        return List.copyOf(ended);
    }

    List<String> requests() {
        return List.copyOf(requests);
    }

    /** Requests refused for their device signature; a correct agent causes none. */
    List<String> rejected() {
        return List.copyOf(rejected);
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try {
            byte[] body = exchange.getRequestBody().readAllBytes();
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getRawPath()
                    + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery());
            requests.add(method + " " + path);
            String problem = verify(exchange.getRequestHeaders().getFirst("X-Portcullis-Device-Auth"), method, path, body);
            if (problem != null) {
                rejected.add(method + " " + path + ": " + problem);
                send(exchange, 401, error(NEUTRAL), null);
                return;
            }
            synchronized (this) {
                route(exchange, method, path, body);
            }
        } catch (RuntimeException e) {
            send(exchange, 500, error("fake core failed: " + e), null);
        } finally {
            exchange.close();
        }
    }

    private String verify(String header, String method, String path, byte[] body) {
        if (header == null) {
            return "no signature";
        }
        Matcher m = AUTH.matcher(header);
        if (!m.matches() || !DEVICE_ID.equals(m.group(1))) {
            return "malformed or unknown device";
        }
        long time = Long.parseLong(m.group(2));
        if (Math.abs(System.currentTimeMillis() - time) > 120_000) {
            return "clock";
        }
        if (!seenSignatures.add(m.group(3))) {
            return "replay";
        }
        try {
            String signed = "portcullis-device-v1\n" + method + "\n" + path + "\n" + time + "\n"
                    + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
            Signature verifier = Signature.getInstance("SHA256withECDSA");
            verifier.initVerify(devicePublicKey);
            verifier.update(signed.getBytes(StandardCharsets.UTF_8));
            return verifier.verify(Base64.getUrlDecoder().decode(m.group(3))) ? null : "bad signature";
        } catch (Exception e) {
            return "bad signature (" + e.getClass().getSimpleName() + ")";
        }
    }

    private void route(HttpExchange exchange, String method, String path, byte[] body) throws IOException {
        if (method.equals("GET") && path.equals("/api/v1/tunnel/locations")) {
            if (locationsStatus != null) {
                send(exchange, locationsStatus, error("The service is restarting."), null);
                return;
            }
            ObjectNode answer = JSON.createObjectNode();
            ObjectNode location = answer.putArray("locations").addObject();
            location.put("name", "office");
            ArrayNode list = location.putArray("methods");
            methods.forEach(list::add);
            location.put("sessionLifetimeSeconds", lifetime.toSeconds());
            location.put("idleTimeoutSeconds", 600);
            location.put("reauthOnEndpointChange", false);
            location.put("address", "10.80.0.2/32");
            if (live != null) {
                location.set("session", session(live, false));
            } else {
                location.putNull("session");
            }
            send(exchange, 200, answer, null);
        } else if (method.equals("GET") && path.equals("/api/v1/tunnel/sessions")) {
            ObjectNode answer = JSON.createObjectNode();
            ArrayNode list = answer.putArray("sessions");
            if (live != null) {
                list.add(session(live, false));
            }
            send(exchange, 200, answer, null);
        } else if (method.equals("POST") && path.equals("/api/v1/tunnel/sessions")) {
            JsonNode json = JSON.readTree(body);
            if (json.size() != 2 || !"office".equals(json.path("location").asText())) {
                send(exchange, 404, error("No location '" + json.path("location").asText() + "' for this device."), null);
                return;
            }
            attemptMethod = json.path("method").asText();
            attempt = token(32);
            ObjectNode answer = JSON.createObjectNode();
            answer.put("attempt", attempt);
            answer.put("method", attemptMethod);
            answer.put("expiresAt", Instant.now().plus(Duration.ofMinutes(5)).toString());
            if ("webauthn".equals(attemptMethod)) {
                answer.put("browserUrl", origin() + "/mfa/" + token(32));
            } else {
                answer.putNull("browserUrl");
            }
            send(exchange, 201, answer, null);
        } else if (method.equals("POST") && path.equals("/api/v1/tunnel/sessions/finish")) {
            finish(exchange, JSON.readTree(body));
        } else if (method.equals("DELETE") && path.startsWith("/api/v1/tunnel/sessions/")) {
            String id = path.substring("/api/v1/tunnel/sessions/".length());
            if (live == null || !live.id().equals(id)) {
                send(exchange, 404, error("No live session with that id."), null);
                return;
            }
            ended.add(id);
            live = null;
            send(exchange, 204, null, null);
        } else {
            send(exchange, 404, error("no such call"), null);
        }
    }

    private void finish(HttpExchange exchange, JsonNode json) throws IOException {
        if (finishStatus != null) {
            switch (finishStatus) {
                case 429 -> send(exchange, 429, error("Too many failed attempts. Try again in 30 seconds."), "30");
                case 410 -> send(exchange, 410, error("This sign-in attempt has ended. Start again."), null);
                case 503 -> {
                    ObjectNode answer = error("Gateway 'gw-1' did not confirm the session in time; no key was issued. Try again.");
                    ObjectNode gateway = answer.putArray("gateways").addObject();
                    gateway.put("name", "gw-1");
                    gateway.put("acknowledged", false);
                    gateway.put("error", "timeout");
                    send(exchange, 503, answer, null);
                }
                default -> send(exchange, finishStatus, error("fake"), null);
            }
            return;
        }
        if (attempt == null || !attempt.equals(json.path("attempt").asText())) {
            send(exchange, 410, error("This sign-in attempt has ended. Start again."), null);
            return;
        }
        if ("totp".equals(attemptMethod)) {
            if (json.size() != 2 || !GOOD_CODE.equals(json.path("code").asText())) {
                attemptsLeft--;
                ObjectNode answer = error("That code did not match.");
                answer.put("attemptsLeft", attemptsLeft);
                send(exchange, 401, answer, null);
                return;
            }
        } else {
            if (json.size() != 1) {
                send(exchange, 400, error("no code for webauthn"), null);
                return;
            }
            if (webauthnWaits > 0) {
                webauthnWaits--;
                ObjectNode answer = JSON.createObjectNode();
                answer.put("status", "waiting");
                answer.put("expiresAt", Instant.now().plus(Duration.ofMinutes(5)).toString());
                send(exchange, 202, answer, null);
                return;
            }
        }
        attempt = null;
        byte[] psk = new byte[32];
        RANDOM.nextBytes(psk);
        Instant now = Instant.now();
        live = new Live(token(16), Base64.getEncoder().encodeToString(psk), now, now.plus(lifetime), attemptMethod.toUpperCase());
        admit.accept(live);
        ObjectNode answer = JSON.createObjectNode();
        answer.set("session", session(live, true));
        send(exchange, 200, answer, null);
    }

    private ObjectNode session(Live session, boolean withKey) {
        ObjectNode json = JSON.createObjectNode();
        json.put("id", session.id());
        json.put("location", "office");
        json.put("device", "alice-laptop");
        json.put("method", session.method());
        json.put("startedAt", session.startedAt().toString());
        json.put("notAfter", session.notAfter().toString());
        json.put("idleTimeoutSeconds", 600);
        json.putNull("lastHandshake");
        json.putNull("endpoint");
        json.put("address", "10.80.0.2/32");
        json.putArray("dns").add("10.80.0.1");
        json.putArray("allowedIps").add("10.80.0.0/24").add("192.168.50.0/24");
        json.put("mtu", 1420);
        ArrayNode list = json.putArray("gateways");
        for (Gateway gateway : gateways) {
            ObjectNode g = list.addObject();
            g.put("name", gateway.name());
            g.put("endpoint", gateway.endpoint());
            g.put("publicKey", gateway.publicKey());
        }
        if (withKey) {
            json.put("presharedKey", session.psk());
        }
        return json;
    }

    private static String token(int bytes) {
        byte[] random = new byte[bytes];
        RANDOM.nextBytes(random);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }

    private static ObjectNode error(String message) {
        ObjectNode error = JSON.createObjectNode();
        error.put("error", message);
        return error;
    }

    private static void send(HttpExchange exchange, int status, JsonNode body, String retryAfter) throws IOException {
        if (retryAfter != null) {
            exchange.getResponseHeaders().add("Retry-After", retryAfter);
        }
        if (body == null) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().add("Content-Type", "application/json; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
