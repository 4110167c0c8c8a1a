package dev.portcullis.compliance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A minimal WebAuthn registration page on a JDK {@link HttpsServer} bound to 127.0.0.1 with a
 * self-signed certificate (made by the JDK's keytool), served under the same CSP as the
 * edge-proxy's pages (no inline script). The page asks the server for a challenge, calls
 * {@code navigator.credentials.create}, and posts the result back; the server checks the client
 * data (type, challenge, origin) the way a relying party must and records the credential id.
 */
final class WebAuthnTestPage implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    private static final String PAGE = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>WebAuthn fixture</title>
            <script src="/app.js" defer></script></head>
            <body><h1>Portcullis browser fixture</h1>
            <p>secure context: <span id="secure">?</span></p>
            <button id="register">Register a security key</button>
            <p id="result"></p></body></html>
            """;

    private static final String SCRIPT = """
            const b64u = s => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), c => c.charCodeAt(0));
            const enc = buf => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
            document.getElementById('secure').textContent = String(window.isSecureContext);
            document.getElementById('register').addEventListener('click', async () => {
              const out = document.getElementById('result');
              try {
                const options = await (await fetch('/options', {method: 'POST'})).json();
                const credential = await navigator.credentials.create({publicKey: {
                  challenge: b64u(options.challenge),
                  rp: {id: options.rpId, name: 'Portcullis fixture'},
                  user: {id: b64u(options.userId), name: 'alice', displayName: 'Alice'},
                  pubKeyCredParams: [{type: 'public-key', alg: -7}],
                  authenticatorSelection: {residentKey: 'required', userVerification: 'required'},
                  attestation: 'none', timeout: 20000}});
                const reply = await fetch('/finish', {method: 'POST', headers: {'Content-Type': 'application/json'},
                  body: JSON.stringify({id: credential.id, type: credential.type,
                    clientDataJSON: enc(credential.response.clientDataJSON),
                    attestationObject: enc(credential.response.attestationObject)})});
                out.textContent = reply.status === 204 ? 'registered ' + credential.id : 'server refused: ' + reply.status;
              } catch (e) {
                out.textContent = 'error ' + e.name + ': ' + e.message;
              }
            });
            """;

    private final HttpsServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(2);
    private final X509Certificate certificate;
    private final String host;
    private final String challenge;
    private final List<String> registered = new CopyOnWriteArrayList<>();
    private final List<String> refusals = new CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicInteger requests = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * @param host the host name the browser will use (the origin, and the WebAuthn RP id)
     * @param work a directory for the key store
     */
    WebAuthnTestPage(String host, Path work) throws Exception {
        this.host = host;
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        this.challenge = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        Files.createDirectories(work);
        Path keyStore = work.resolve("page-" + System.nanoTime() + ".p12");
        char[] password = "fixture-only".toCharArray();
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process process = new ProcessBuilder(keytool, "-genkeypair", "-alias", "page", "-keyalg", "EC",
                "-groupname", "secp256r1", "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1",
                "-validity", "2", "-storetype", "PKCS12", "-keystore", keyStore.toString(),
                "-storepass", new String(password), "-keypass", new String(password))
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("keytool failed: " + output);
        }
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStore)) {
            store.load(in, password);
        }
        certificate = (X509Certificate) store.getCertificate("page");
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, password);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(keys.getKeyManagers(), null, null);

        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    X509Certificate certificate() {
        return certificate;
    }

    String url() {
        return "https://" + host + ":" + server.getAddress().getPort() + "/";
    }

    String origin() {
        return "https://" + host + ":" + server.getAddress().getPort();
    }

    /** Credential ids the server accepted (client data checked). */
    List<String> registered() {
        return registered;
    }

    /** Why the server refused a posted credential, if it did. */
    List<String> refusals() {
        return refusals;
    }

    /** HTTP requests that got through the TLS handshake. */
    int requests() {
        return requests.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        requests.incrementAndGet();
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            exchange.getResponseHeaders().add("Content-Security-Policy", CSP);
            switch (path) {
                case "/" -> send(exchange, 200, "text/html; charset=utf-8", PAGE);
                case "/app.js" -> send(exchange, 200, "text/javascript; charset=utf-8", SCRIPT);
                case "/options" -> send(exchange, 200, "application/json", JSON.writeValueAsString(java.util.Map.of(
                        "challenge", challenge, "rpId", host, "userId",
                        Base64.getUrlEncoder().withoutPadding().encodeToString("alice-handle".getBytes(StandardCharsets.UTF_8)))));
                case "/finish" -> finish(exchange);
                default -> send(exchange, 404, "text/plain", "not found");
            }
        }
    }

    private void finish(HttpExchange exchange) throws IOException {
        JsonNode credential = JSON.readTree(exchange.getRequestBody());
        JsonNode clientData = JSON.readTree(Base64.getUrlDecoder().decode(credential.get("clientDataJSON").asText()));
        String problem = null;
        if (!"webauthn.create".equals(clientData.path("type").asText())) {
            problem = "type " + clientData.path("type");
        } else if (!challenge.equals(clientData.path("challenge").asText())) {
            problem = "challenge " + clientData.path("challenge");
        } else if (!origin().equals(clientData.path("origin").asText())) {
            problem = "origin " + clientData.path("origin");
        } else if (Base64.getUrlDecoder().decode(credential.get("attestationObject").asText()).length < 37) {
            problem = "attestation object too short";
        }
        if (problem == null) {
            registered.add(credential.get("id").asText());
            exchange.sendResponseHeaders(204, -1);
        } else {
            refusals.add(problem);
            send(exchange, 400, "text/plain", problem);
        }
    }

    private static void send(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
