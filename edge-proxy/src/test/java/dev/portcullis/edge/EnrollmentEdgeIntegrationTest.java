package dev.portcullis.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.portcullis.edge.http.PublicClient;
import dev.portcullis.edge.tls.PublicCertificate;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.protocol.link.LinkState;
import dev.portcullis.protocol.testing.TestCore;
import dev.portcullis.protocol.v1.ComponentMessage;
import dev.portcullis.protocol.v1.CoreMessage;
import dev.portcullis.protocol.v1.Header;
import dev.portcullis.protocol.v1.Hello;
import dev.portcullis.protocol.v1.ProxyRequest;
import dev.portcullis.protocol.v1.ProxyResponse;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The edge-proxy's side of enrollment with the real control link and a test core: the pages stay
 * at the edge, the API calls reach core with what core's CSRF check needs, the pin in Hello is the
 * certificate users really see and survives a restart, and the state directory holds nothing but
 * the proxy's own keys and certificates.
 */
class EnrollmentEdgeIntegrationTest {

    private static final String TOKEN = "Tq3Yx0Zr8S1mN4bT7vW2cE5hJ9kL6pA0dF3gH8iK1oU";
    private static final String COOKIE_SECRET = "Ck9Yx0Zr8S1mN4bT7vW2cE5hJ9kL6pA0dF3gH8iK1oU";
    private static final String CSRF = "Cs7Yx0Zr8S1mN4bT7vW2cE5hJ9kL6pA0dF3gH8iK1oU";
    private static final String PASSWORD = "a long enough passphrase for the test";
    private static final String TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    private static final String SET_COOKIE = "__Host-portcullis-enroll=" + COOKIE_SECRET + "; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=1800";
    private static final String ORIGIN = "https://access.example.com";

    @TempDir
    Path stateDir;

    private final TestCore core = new TestCore();
    private EdgeProxy proxy;

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        core.close();
    }

    @Test
    void pagesStayAtTheEdgeAndApiCallsReachCoreWithOriginCsrfAndCookie() throws Exception {
        PublicCertificate certificate = PublicCertificate.selfSigned(stateDir, Set.of(), Clock.systemUTC());
        TestCore.Session session = startAdoptedAndConnected(certificate, Optional.of(core.mintToken()));
        PublicClient client = new PublicClient(certificate, proxy.publicPort());

        HttpResponse<String> page = client.get("/enroll/" + TOKEN);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).isEqualTo(classpath("public/enroll.html"));
        assertThat(client.get("/assets/enroll.js").statusCode()).isEqualTo(200);

        CompletableFuture<HttpResponse<String>> redeemed = CompletableFuture.supplyAsync(() -> call(client, "POST",
                "/api/v1/enroll/redeem", "{\"token\":\"" + TOKEN + "\"}", "Content-Type", "application/json", "Origin", ORIGIN));
        ProxyRequest redeem = session.expect(ComponentMessage.BodyCase.PROXY_REQUEST).getProxyRequest();
        assertThat(session.seen.stream().filter(ComponentMessage::hasProxyRequest).map(m -> m.getProxyRequest().getPath()))
                .as("the page and its assets never reached core").containsExactly("/api/v1/enroll/redeem");
        assertThat(redeem.getMethod()).isEqualTo("POST");
        assertThat(redeem.getBody().toStringUtf8()).isEqualTo("{\"token\":\"" + TOKEN + "\"}");
        assertThat(headers(redeem)).containsEntry("origin", ORIGIN).containsEntry("content-type", "application/json");
        answer(session, redeem, 200, "{\"csrf\":\"" + CSRF + "\"}", "set-cookie", SET_COOKIE);
        HttpResponse<String> redeemAnswer = redeemed.get(10, TimeUnit.SECONDS);
        assertThat(redeemAnswer.statusCode()).isEqualTo(200);
        assertThat(redeemAnswer.headers().allValues("set-cookie")).containsExactly(SET_COOKIE);
        assertThat(redeemAnswer.headers().firstValue("content-security-policy")).hasValue("default-src 'none'; frame-ancestors 'none'");

        CompletableFuture<HttpResponse<String>> password = CompletableFuture.supplyAsync(() -> call(client, "POST",
                "/api/v1/enroll/password", "{\"password\":\"" + PASSWORD + "\"}", "Content-Type", "application/json",
                "Origin", ORIGIN, "Cookie", "__Host-portcullis-enroll=" + COOKIE_SECRET, "X-Portcullis-CSRF", CSRF));
        ProxyRequest passwordRequest = session.expect(ComponentMessage.BodyCase.PROXY_REQUEST).getProxyRequest();
        assertThat(headers(passwordRequest)).containsEntry("origin", ORIGIN)
                .containsEntry("cookie", "__Host-portcullis-enroll=" + COOKIE_SECRET).containsEntry("x-portcullis-csrf", CSRF);
        answer(session, passwordRequest, 204, "");
        assertThat(password.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(204);
    }

    @Test
    void helloReportsThePinOfTheCertificateThePublicListenerPresentsAndARestartKeepsIt() throws Exception {
        PublicCertificate first = PublicCertificate.selfSigned(stateDir, Set.of(), Clock.systemUTC());
        TestCore.Session session = startAdoptedAndConnected(first, Optional.of(core.mintToken()));
        byte[] reported = helloOf(session).getPublicTrustAnchorSha256().toByteArray();
        byte[] presented = sha256OfTopmostPresentedCertificate(proxy.publicPort());

        assertThat(reported).hasSize(32).isEqualTo(presented).isEqualTo(first.trustAnchorPin());

        proxy.close();
        PublicCertificate afterRestart = PublicCertificate.selfSigned(stateDir, Set.of(), Clock.systemUTC());
        TestCore.Session again = startConnected(afterRestart);

        assertThat(helloOf(again).getPublicTrustAnchorSha256().toByteArray()).isEqualTo(reported);
        assertThat(sha256OfTopmostPresentedCertificate(proxy.publicPort())).isEqualTo(presented);
    }

    @Test
    void afterAnEnrollmentTheStateDirectoryHoldsOnlyTheProxysOwnKeysAndCertificates() throws Exception {
        PublicCertificate certificate = PublicCertificate.selfSigned(stateDir, Set.of(), Clock.systemUTC());
        TestCore.Session session = startAdoptedAndConnected(certificate, Optional.of(core.mintToken()));
        PublicClient client = new PublicClient(certificate, proxy.publicPort());
        client.get("/enroll/" + TOKEN);
        List<String[]> ceremony = List.of(
                new String[] {"/api/v1/enroll/redeem", "{\"token\":\"" + TOKEN + "\"}", "{\"csrf\":\"" + CSRF + "\"}"},
                new String[] {"/api/v1/enroll/password", "{\"password\":\"" + PASSWORD + "\"}", ""},
                new String[] {"/api/v1/enroll/totp/start", "{}", "{\"secret\":\"" + TOTP_SECRET + "\"}"},
                new String[] {"/api/v1/enroll/totp/confirm", "{\"code\":\"123456\"}", ""},
                new String[] {"/api/v1/enroll/recovery-codes", "{}", "{\"codes\":[\"abcd-efgh-ijkl-mnop\"]}"},
                new String[] {"/api/v1/enroll/devices", "{\"name\":\"alice-phone\",\"wireguardPublicKey\":\"" + "A".repeat(43) + "=\"}",
                    "{\"device\":{\"id\":\"d1\"}}"},
                new String[] {"/api/v1/enroll/complete", "{}", "{\"devices\":1}"});
        for (String[] step : ceremony) {
            CompletableFuture<HttpResponse<String>> pending = CompletableFuture.supplyAsync(() -> call(client, "POST", step[0], step[1],
                    "Content-Type", "application/json", "Cookie", "__Host-portcullis-enroll=" + COOKIE_SECRET, "X-Portcullis-CSRF", CSRF));
            ProxyRequest forwarded = session.expect(ComponentMessage.BodyCase.PROXY_REQUEST).getProxyRequest();
            assertThat(forwarded.getPath()).isEqualTo(step[0]);
            answer(session, forwarded, step[2].isEmpty() ? 204 : 200, step[2], "set-cookie", SET_COOKIE);
            assertThat(pending.get(10, TimeUnit.SECONDS).statusCode()).isIn(200, 204);
        }

        List<Path> files;
        try (Stream<Path> walk = Files.walk(stateDir)) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        assertThat(files.stream().map(f -> stateDir.relativize(f).toString()))
                .containsExactlyInAnyOrder("key.pem", "cert.pem", "ca.pem", PublicCertificate.SELF_SIGNED_FILE);
        for (Path file : files) {
            String content = Files.readString(file, StandardCharsets.US_ASCII);
            List<String> blocks = new ArrayList<>();
            java.util.regex.Matcher begin = java.util.regex.Pattern.compile("-----BEGIN ([A-Z ]+)-----").matcher(content);
            while (begin.find()) {
                blocks.add(begin.group(1));
            }
            assertThat(blocks).as(file.toString()).isNotEmpty().allMatch(b -> b.equals("CERTIFICATE") || b.equals("PRIVATE KEY"));
            assertThat(content.replaceAll("-----(BEGIN|END) [A-Z ]+-----|[A-Za-z0-9+/=\\s]", ""))
                    .as("%s holds PEM and nothing else", file).isEmpty();
            for (String secret : List.of(TOKEN, COOKIE_SECRET, CSRF, PASSWORD, TOTP_SECRET, "alice")) {
                assertThat(content).as(file.toString()).doesNotContain(secret);
            }
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(stateDir))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(stateDir.resolve(PublicCertificate.SELF_SIGNED_FILE))))
                .isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(stateDir.resolve("key.pem")))).isEqualTo("rw-------");
    }

    private TestCore.Session startAdoptedAndConnected(PublicCertificate certificate, Optional<dev.portcullis.pki.join.JoinToken> token)
            throws Exception {
        proxy = EdgeProxy.start(new EdgeProxy.Config(new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0),
                stateDir, token, certificate, Clock.systemUTC(), "test"));
        core.adopt(proxy.controlPort(), PeerIdentity.Role.EDGE_PROXY);
        TestCore.await(() -> proxy.linkState() == LinkState.WAITING_FOR_CORE, "adopted");
        return connected(core.openControl(proxy.controlPort(), PeerIdentity.Role.EDGE_PROXY));
    }

    /**
     * Core's side of the stream is open before the proxy has taken it: until the proxy counts core
     * as connected, a request is (rightly) answered 503, so wait for that before sending one.
     */
    private TestCore.Session connected(TestCore.Session session) throws Exception {
        TestCore.await(() -> proxy.linkState() == LinkState.CONNECTED, "core's control stream taken by the proxy");
        return session;
    }

    /** A restart of an adopted proxy: no join token, the same state directory. */
    private TestCore.Session startConnected(PublicCertificate certificate) throws Exception {
        proxy = EdgeProxy.start(new EdgeProxy.Config(new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0),
                stateDir, Optional.empty(), certificate, Clock.systemUTC(), "test"));
        TestCore.await(() -> proxy.linkState() == LinkState.WAITING_FOR_CORE, "serving core over mTLS");
        return connected(core.openControl(proxy.controlPort(), PeerIdentity.Role.EDGE_PROXY));
    }

    private static Hello helloOf(TestCore.Session session) throws InterruptedException {
        return session.expect(ComponentMessage.BodyCase.HELLO).getHello();
    }

    private static void answer(TestCore.Session session, ProxyRequest request, int status, String body, String... headers) {
        ProxyResponse.Builder response = ProxyResponse.newBuilder().setRequestId(request.getRequestId()).setStatus(status);
        if (!body.isEmpty()) {
            response.addHeaders(Header.newBuilder().setName("content-type").setValue("application/json"));
            response.setBody(ByteString.copyFromUtf8(body));
        }
        for (int i = 0; i < headers.length; i += 2) {
            response.addHeaders(Header.newBuilder().setName(headers[i]).setValue(headers[i + 1]));
        }
        session.send(CoreMessage.newBuilder().setProxyResponse(response).build());
    }

    private static HttpResponse<String> call(PublicClient client, String method, String path, String body, String... headers) {
        try {
            return client.send(method, path, body.getBytes(StandardCharsets.UTF_8), headers);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> headers(ProxyRequest request) {
        return request.getHeadersList().stream().collect(Collectors.toMap(Header::getName, Header::getValue, (a, b) -> a + "," + b));
    }

    /** What a client that trusts nothing in advance sees: the chain as presented, hashed at its top. */
    private static byte[] sha256OfTopmostPresentedCertificate(int port) throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                throw new CertificateException("this client-side trust manager checks no clients");
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
                // This test only looks at what is presented.
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.startHandshake();
            Certificate[] chain = socket.getSession().getPeerCertificates();
            return MessageDigest.getInstance("SHA-256").digest(chain[chain.length - 1].getEncoded());
        }
    }

    private static String classpath(String name) throws Exception {
        try (InputStream in = EnrollmentEdgeIntegrationTest.class.getClassLoader().getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
