package dev.portcullis.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import dev.portcullis.pki.cert.KeyPairs;
import dev.portcullis.pki.enroll.InviteLink;
import dev.portcullis.pki.enroll.TrustAnchorPin;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A fake edge-proxy + core: a JDK HTTPS server (TLS 1.3, self-signed certificate like the
 * proxy's ephemeral one) on 127.0.0.1 that implements the enrollment calls of API.md with
 * in-memory state. It checks what the real one checks (session cookie, CSRF header, exact
 * bodies, unknown fields refused, step order for complete) and records every request it got.
 */
final class FakeProxy implements AutoCloseable {

    static final String NEUTRAL = "This link is not valid any more. Ask your administrator for a new invite.";
    static final String PASSWORD_RULES = "Use at least 12 characters; a passphrase of several words works well.";
    static final String WRONG_CODE = "That code did not match. Check the time on your phone and try the newest code.";
    static final String TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    static final String GOOD_CODE = "246810";
    static final List<String> RECOVERY_CODES = List.of("abcd-efgh-ijkl-mnop", "qrst-uvwx-yz23-4567", "aaaa-bbbb-cccc-dddd",
            "eeee-ffff-gggg-hhhh", "iiii-jjjj-kkkk-llll", "mmmm-nnnn-oooo-pppp", "qqqq-rrrr-ssss-tttt",
            "uuuu-vvvv-wwww-xxxx", "yyyy-zzzz-2222-3333", "4444-5555-6666-7777");
    static final String GATEWAY_KEY = Base64.getEncoder().encodeToString(new byte[32]);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] STORE_PASSWORD = "fake".toCharArray();

    /** One request as the fake received it. */
    record Request(String path, Map<String, List<String>> headers, String body) {
        String header(String name) {
            for (Map.Entry<String, List<String>> entry : headers.entrySet()) {
                if (entry.getKey() != null && entry.getKey().equalsIgnoreCase(name)) {
                    return entry.getValue().get(0);
                }
            }
            return null;
        }
    }

    /** A device as registered. */
    record Registered(String name, String wireguardPublicKey, String credentialPublicKey, String kind) {
    }

    private final HttpsServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final X509Certificate certificate;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Set<String> unusedTokens = ConcurrentHashMap.newKeySet();
    private final List<Registered> registered = new CopyOnWriteArrayList<>();
    // One enrollment session at a time is all these tests need; guarded by "this".
    private String cookie;
    private String csrf;
    private final Set<String> steps = new HashSet<>();
    private boolean requiresWebauthn;
    private String displayName = "Alice Example";

    FakeProxy() throws Exception {
        this(List.of("localhost"), List.of("127.0.0.1"));
    }

    /** A proxy whose certificate names exactly these DNS names and IP addresses. */
    FakeProxy(List<String> dnsNames, List<String> addresses) throws Exception {
        KeyPair keyPair = KeyPairs.generate();
        certificate = selfSigned(keyPair, dnsNames, addresses);
        server = startHttps(keyPair, certificate, this::handle, threads);
    }

    /** A TLS 1.3-only HTTPS server on a free loopback port, serving {@code certificate}, started. */
    static HttpsServer startHttps(KeyPair keyPair, X509Certificate certificate, HttpHandler handler, ExecutorService threads)
            throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("server", keyPair.getPrivate(), STORE_PASSWORD, new X509Certificate[] {certificate});
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, STORE_PASSWORD);
        SSLContext tls = SSLContext.getInstance("TLSv1.3");
        tls.init(keys.getKeyManagers(), null, RANDOM);
        HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(tls) {
            @Override
            public void configure(HttpsParameters parameters) {
                SSLParameters ssl = tls.getDefaultSSLParameters();
                ssl.setProtocols(new String[] {"TLSv1.3"});
                parameters.setSSLParameters(ssl);
            }
        });
        server.createContext("/", handler);
        server.setExecutor(threads);
        server.start();
        return server;
    }

    URI origin() {
        return URI.create("https://127.0.0.1:" + server.getAddress().getPort());
    }

    byte[] pin() {
        return TrustAnchorPin.of(new X509Certificate[] {certificate});
    }

    /** Mints a token the fake will accept once and returns the invite link for it. */
    String invite() {
        return invite(origin(), pin());
    }

    String invite(URI origin, byte[] pin) {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        unusedTokens.add(token);
        return InviteLink.format(origin, token, pin).toLinkString();
    }

    /** A well-formed link whose token the fake never issued. */
    String unknownInvite() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return InviteLink.format(origin(), Base64.getUrlEncoder().withoutPadding().encodeToString(bytes), pin()).toLinkString();
    }

    synchronized void requireWebauthn() {
        requiresWebauthn = true;
    }

    synchronized void displayName(String name) {
        displayName = name;
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    List<String> paths() {
        return requests.stream().map(Request::path).toList();
    }

    List<Registered> registered() {
        return List.copyOf(registered);
    }

    synchronized String sessionCookie() {
        return cookie;
    }

    synchronized String csrf() {
        return csrf;
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }

    // --- the API ---

    private void handle(HttpExchange exchange) throws IOException {
        try {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String path = exchange.getRequestURI().getRawPath();
            requests.add(new Request(path, Map.copyOf(exchange.getRequestHeaders()), body));
            if (!"POST".equals(exchange.getRequestMethod())) {
                send(exchange, 405, error("method not allowed"));
                return;
            }
            String type = exchange.getRequestHeaders().getFirst("Content-Type");
            if (type == null || !type.startsWith("application/json")) {
                send(exchange, 415, error("send JSON"));
                return;
            }
            JsonNode json;
            try {
                json = JSON.readTree(body);
            } catch (IOException e) {
                send(exchange, 400, error("not JSON"));
                return;
            }
            if (json == null || !json.isObject()) {
                send(exchange, 400, error("not a JSON object"));
                return;
            }
            synchronized (this) {
                route(exchange, path, (ObjectNode) json);
            }
        } finally {
            exchange.close();
        }
    }

    private void route(HttpExchange exchange, String path, ObjectNode json) throws IOException {
        if (path.equals("/api/v1/enroll/redeem")) {
            redeem(exchange, json);
            return;
        }
        if (!inSession(exchange)) {
            send(exchange, 403, error("Your enrollment session has ended or this request did not come from the enrollment page."));
            return;
        }
        switch (path) {
            case "/api/v1/enroll/password" -> password(exchange, json);
            case "/api/v1/enroll/totp/start" -> totpStart(exchange, json);
            case "/api/v1/enroll/totp/confirm" -> totpConfirm(exchange, json);
            case "/api/v1/enroll/recovery-codes" -> recoveryCodes(exchange, json);
            case "/api/v1/enroll/devices" -> devices(exchange, json);
            case "/api/v1/enroll/complete" -> complete(exchange, json);
            default -> send(exchange, 404, error("no such call"));
        }
    }

    private void redeem(HttpExchange exchange, ObjectNode json) throws IOException {
        if (!fieldsAre(json, "token") || !unusedTokens.remove(json.path("token").asText())) {
            send(exchange, 404, error(NEUTRAL));
            return;
        }
        cookie = secret();
        csrf = secret();
        steps.clear();
        exchange.getResponseHeaders().add("Set-Cookie",
                "__Host-portcullis-enroll=" + cookie + "; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=1800");
        ObjectNode answer = JSON.createObjectNode();
        answer.set("user", user());
        answer.put("csrf", csrf);
        answer.put("expiresAt", Instant.now().plus(Duration.ofMinutes(30)).toString());
        ObjectNode requires = answer.putObject("requires");
        requires.put("totp", !requiresWebauthn);
        requires.put("webauthn", requiresWebauthn);
        answer.put("passwordRules", PASSWORD_RULES);
        send(exchange, 200, answer);
    }

    private boolean inSession(HttpExchange exchange) {
        String cookies = exchange.getRequestHeaders().getFirst("Cookie");
        String header = exchange.getRequestHeaders().getFirst("X-Portcullis-CSRF");
        return cookie != null && cookies != null && cookies.contains("__Host-portcullis-enroll=" + cookie)
                && csrf.equals(header);
    }

    private void password(HttpExchange exchange, ObjectNode json) throws IOException {
        if (!fieldsAre(json, "password")) {
            send(exchange, 400, error("unknown or missing fields"));
            return;
        }
        String password = json.path("password").asText();
        if (password.codePointCount(0, password.length()) < 12) {
            send(exchange, 400, error(PASSWORD_RULES));
            return;
        }
        steps.add("password");
        send(exchange, 204, null);
    }

    private void totpStart(HttpExchange exchange, ObjectNode json) throws IOException {
        if (!fieldsAre(json)) {
            send(exchange, 400, error("unknown fields"));
            return;
        }
        ObjectNode answer = JSON.createObjectNode();
        answer.put("secret", TOTP_SECRET);
        answer.put("otpauthUri", "otpauth://totp/Portcullis:alice?secret=" + TOTP_SECRET
                + "&issuer=Portcullis&algorithm=SHA1&digits=6&period=30");
        steps.add("totp-started");
        send(exchange, 200, answer);
    }

    private void totpConfirm(HttpExchange exchange, ObjectNode json) throws IOException {
        if (!fieldsAre(json, "code") || !steps.contains("totp-started")) {
            send(exchange, 400, error("start TOTP first"));
            return;
        }
        if (!GOOD_CODE.equals(json.path("code").asText())) {
            send(exchange, 400, error(WRONG_CODE));
            return;
        }
        steps.add("totp");
        send(exchange, 204, null);
    }

    private void recoveryCodes(HttpExchange exchange, ObjectNode json) throws IOException {
        if (!fieldsAre(json)) {
            send(exchange, 400, error("unknown fields"));
            return;
        }
        if (!steps.add("recovery")) {
            send(exchange, 409, error("Recovery codes were already shown."));
            return;
        }
        ObjectNode answer = JSON.createObjectNode();
        ArrayNode codes = answer.putArray("codes");
        RECOVERY_CODES.forEach(codes::add);
        send(exchange, 200, answer);
    }

    private void devices(HttpExchange exchange, ObjectNode json) throws IOException {
        if (!fieldsAre(json, "name", "wireguardPublicKey", "credentialPublicKey", "kind")) {
            send(exchange, 400, error("unknown or missing fields"));
            return;
        }
        String name = json.path("name").asText();
        if (!name.matches("[A-Za-z0-9 ._-]{1,63}") || name.startsWith(" ") || name.endsWith(" ")) {
            send(exchange, 400, error("Use only letters, digits, spaces, dots, dashes and underscores in the device name."));
            return;
        }
        try {
            if (Base64.getDecoder().decode(json.path("wireguardPublicKey").asText()).length != 32) {
                throw new IllegalArgumentException();
            }
            PublicKey credential = KeyFactory.getInstance("EC").generatePublic(
                    new X509EncodedKeySpec(Base64.getDecoder().decode(json.path("credentialPublicKey").asText())));
            if (!(credential instanceof ECPublicKey ec) || ec.getParams().getCurve().getField().getFieldSize() != 256) {
                throw new IllegalArgumentException();
            }
        } catch (Exception e) {
            send(exchange, 400, error("That is not a valid public key."));
            return;
        }
        if (!"agent".equals(json.path("kind").asText())) {
            send(exchange, 400, error("kind must be agent or config"));
            return;
        }
        registered.add(new Registered(name, json.path("wireguardPublicKey").asText(), json.path("credentialPublicKey").asText(),
                json.path("kind").asText()));
        ObjectNode answer = JSON.createObjectNode();
        ObjectNode device = answer.putObject("device");
        device.put("id", "3f1c9a52-7d7e-4b8e-9a51-0c1d2e3f4a5b");
        device.put("name", name);
        device.put("kind", "agent");
        ObjectNode location = answer.putArray("locations").addObject();
        location.put("name", "office");
        location.put("address", "10.8.0.2/32");
        location.putArray("dns").add("10.8.0.1");
        location.putArray("allowedIps").add("10.8.0.0/24").add("192.168.50.0/24");
        location.put("mtu", 1420);
        ObjectNode gateway = location.putArray("gateways").addObject();
        gateway.put("endpoint", "203.0.113.7:51820");
        gateway.put("publicKey", GATEWAY_KEY);
        steps.add("device");
        send(exchange, 201, answer);
    }

    private void complete(HttpExchange exchange, ObjectNode json) throws IOException {
        if (!fieldsAre(json)) {
            send(exchange, 400, error("unknown fields"));
            return;
        }
        for (String step : List.of("password", "totp", "recovery")) {
            if (!steps.contains(step)) {
                send(exchange, 409, error("Finish these steps first: " + step));
                return;
            }
        }
        ObjectNode answer = JSON.createObjectNode();
        answer.set("user", user());
        answer.put("devices", registered.size());
        exchange.getResponseHeaders().add("Set-Cookie", "__Host-portcullis-enroll=; Path=/; Secure; HttpOnly; Max-Age=0");
        cookie = null;
        send(exchange, 200, answer);
    }

    // --- plumbing ---

    private ObjectNode user() {
        ObjectNode user = JSON.createObjectNode();
        user.put("name", "alice");
        user.put("email", "alice@example.com");
        user.put("displayName", displayName);
        return user;
    }

    private static boolean fieldsAre(ObjectNode json, String... names) {
        Set<String> expected = Set.of(names);
        Set<String> actual = new HashSet<>();
        json.fieldNames().forEachRemaining(actual::add);
        return actual.equals(expected);
    }

    private static ObjectNode error(String message) {
        ObjectNode error = JSON.createObjectNode();
        error.put("error", message);
        return error;
    }

    private static String secret() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static void send(HttpExchange exchange, int status, JsonNode body) throws IOException {
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

    static X509Certificate selfSigned(KeyPair keyPair, List<String> dnsNames, List<String> addresses) throws Exception {
        X500Name subject = new X500Name("CN=Portcullis edge-proxy (fake)");
        List<GeneralName> names = new ArrayList<>();
        dnsNames.forEach(n -> names.add(new GeneralName(GeneralName.dNSName, n)));
        addresses.forEach(a -> names.add(new GeneralName(GeneralName.iPAddress, a)));
        Instant now = Instant.now();
        return new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(subject,
                new BigInteger(64, RANDOM).setBit(62), Date.from(now.minus(Duration.ofMinutes(5))),
                Date.from(now.plus(Duration.ofDays(30))), subject, keyPair.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(new GeneralName[0])))
                .build(new JcaContentSignerBuilder(KeyPairs.SIGNATURE_ALGORITHM).build(keyPair.getPrivate())));
    }
}
