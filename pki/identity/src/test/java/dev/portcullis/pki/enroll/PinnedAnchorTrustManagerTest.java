package dev.portcullis.pki.enroll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.portcullis.pki.enroll.PinnedAnchorTrustManager.Reason;
import dev.portcullis.pki.enroll.PinnedAnchorTrustManager.UntrustedServerException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Real TLS 1.3 on loopback, the JDK on both sides, and only the pin trusted. */
@Timeout(30)
class PinnedAnchorTrustManagerTest {

    private static final char[] STORE_PASSWORD = "test-only".toCharArray();
    private static final int TIMEOUT_MILLIS = 10_000;

    private final ExecutorService serverThreads = Executors.newCachedThreadPool();

    @AfterEach
    void stopServers() {
        serverThreads.shutdownNow();
    }

    // --- over real TLS sockets ---

    @Test
    void aSelfSignedProxyCertificateWithTheRightPinIsAccepted() throws Exception {
        TestCertificates.Server proxy = TestCertificates.certificate("edge").dns("localhost").build();

        assertThat(handshake(proxy, "localhost", PinnedAnchorTrustManager.pinning(proxy.pin()))).isNull();
    }

    @Test
    void aTwoLevelChainIsAcceptedWhenThePinIsItsRoot() throws Exception {
        TestCertificates.Server root = TestCertificates.certificate("operator root").ca().build();
        TestCertificates.Server proxy = TestCertificates.certificate("edge").dns("localhost").issuedBy(root).build();

        assertThat(proxy.chain()).hasSize(2);
        assertThat(handshake(proxy, "localhost", PinnedAnchorTrustManager.pinning(root.pin()))).isNull();
    }

    @Test
    void aWrongPinIsRefusedEvenForAPerfectlyValidCertificate() throws Exception {
        TestCertificates.Server proxy = TestCertificates.certificate("edge").dns("localhost").build();
        TestCertificates.Server other = TestCertificates.certificate("edge").dns("localhost").build();

        UntrustedServerException refused = handshake(proxy, "localhost", PinnedAnchorTrustManager.pinning(other.pin()));

        assertThat(refused.reason()).isEqualTo(Reason.PIN_MISMATCH);
        assertThat(refused).hasMessageContaining("does not match the pin");
    }

    @Test
    void theRightPinForTheWrongHostnameIsRefused() throws Exception {
        TestCertificates.Server proxy = TestCertificates.certificate("edge").dns("access.example.com").build();

        UntrustedServerException refused = handshake(proxy, "localhost", PinnedAnchorTrustManager.pinning(proxy.pin()));

        assertThat(refused.reason()).isEqualTo(Reason.HOSTNAME_MISMATCH);
        assertThat(refused).hasMessage("the server's certificate is not valid for localhost");
    }

    @Test
    void anExpiredCertificateWithTheRightPinIsRefused() throws Exception {
        TestCertificates.Server proxy = TestCertificates.certificate("edge").dns("localhost")
                .validity(Instant.now().minus(Duration.ofDays(30)), Instant.now().minus(Duration.ofDays(1))).build();

        UntrustedServerException refused = handshake(proxy, "localhost", PinnedAnchorTrustManager.pinning(proxy.pin()));

        assertThat(refused.reason()).isEqualTo(Reason.EXPIRED);
        assertThat(refused).hasMessageContaining("expired on");
    }

    @Test
    void anIpLiteralMatchesOnlyAnIpAddressName() throws Exception {
        TestCertificates.Server byAddress = TestCertificates.certificate("edge").ip("127.0.0.1").build();
        TestCertificates.Server byDnsName = TestCertificates.certificate("edge").dns("127.0.0.1").build();

        assertThat(handshake(byAddress, "127.0.0.1", PinnedAnchorTrustManager.pinning(byAddress.pin()))).isNull();
        assertThat(handshake(byDnsName, "127.0.0.1", PinnedAnchorTrustManager.pinning(byDnsName.pin())).reason())
                .isEqualTo(Reason.HOSTNAME_MISMATCH);
    }

    @Test
    void theSslEnginePathUsedByTheJdkHttpClientIsCheckedToo() throws Exception {
        TestCertificates.Server proxy = TestCertificates.certificate("edge").dns("localhost").build();
        TestCertificates.Server other = TestCertificates.certificate("edge").dns("localhost").build();
        HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(serverContext(proxy)));
        server.createContext("/", exchange -> {
            byte[] body = "hello".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.setExecutor(serverThreads);
        server.start();
        try {
            URI uri = URI.create("https://localhost:" + server.getAddress().getPort() + "/");

            assertThat(get(uri, PinnedAnchorTrustManager.pinning(proxy.pin()))).isEqualTo("hello");
            Throwable wrongPin = catchThrowable(() -> get(uri, PinnedAnchorTrustManager.pinning(other.pin())));
            assertThat(untrusted(wrongPin)).isNotNull().extracting(UntrustedServerException::reason).isEqualTo(Reason.PIN_MISMATCH);
        } finally {
            server.stop(0);
        }
    }

    // --- called the way JSSE calls it, for chains a real server would not bother to present ---

    @Test
    void aLeafNotSignedByThePinnedRootIsRefusedEvenIfTheChainEndsInIt() {
        TestCertificates.Server root = TestCertificates.certificate("operator root").ca().build();
        TestCertificates.Server forger = TestCertificates.certificate("operator root").ca().build();
        TestCertificates.Server forged = TestCertificates.certificate("edge").dns("localhost").issuedBy(forger).build();
        X509Certificate[] chain = {forged.leaf(), root.leaf()};

        assertThat(refusal(root.pin(), chain, "localhost").reason()).isEqualTo(Reason.BROKEN_CHAIN);
    }

    @Test
    void aCertificateThatIsNotACaCannotIssueTheServerCertificate() {
        TestCertificates.Server notACa = TestCertificates.certificate("not a CA").build();
        TestCertificates.Server proxy = TestCertificates.certificate("edge").dns("localhost").issuedBy(notACa).build();

        assertThat(refusal(notACa.pin(), proxy.chain(), "localhost")).hasMessageContaining("is not a CA");
    }

    @Test
    void anExpiredRootIsRefusedEvenWhenTheLeafIsValid() {
        TestCertificates.Server root = TestCertificates.certificate("operator root").ca().build();
        TestCertificates.Server proxy = TestCertificates.certificate("edge").dns("localhost").issuedBy(root).build();
        Clock afterRootExpiry = Clock.fixed(root.leaf().getNotAfter().toInstant().plusSeconds(1), ZoneOffset.UTC);

        assertThatThrownBy(() -> PinnedAnchorTrustManager.pinning(root.pin(), afterRootExpiry)
                .checkServerTrusted(proxy.chain(), "ECDHE_ECDSA", engineFor("localhost")))
                .isInstanceOf(UntrustedServerException.class)
                .extracting(e -> ((UntrustedServerException) e).reason()).isEqualTo(Reason.EXPIRED);
    }

    @Test
    void aCertificateForClientUseOnlyIsRefused() {
        TestCertificates.Server proxy = TestCertificates.certificate("edge").dns("localhost").clientUsageOnly().build();

        assertThat(refusal(proxy.pin(), proxy.chain(), "localhost")).hasMessageContaining("not issued for TLS server use");
    }

    @Test
    void aChainOfUnreasonableLengthIsRefusedBeforeAnySignatureIsChecked() {
        TestCertificates.Server proxy = TestCertificates.certificate("edge").dns("localhost").build();
        X509Certificate[] chain = new X509Certificate[PinnedAnchorTrustManager.MAX_CHAIN_LENGTH + 1];
        java.util.Arrays.fill(chain, proxy.leaf());

        assertThat(refusal(proxy.pin(), chain, "localhost").reason()).isEqualTo(Reason.BROKEN_CHAIN);
    }

    @Test
    void withoutAConnectionThereIsNoHostToVerifySoTheChainIsRefused() {
        TestCertificates.Server proxy = TestCertificates.certificate("edge").dns("localhost").build();
        PinnedAnchorTrustManager trust = PinnedAnchorTrustManager.pinning(proxy.pin());

        assertThatThrownBy(() -> trust.checkServerTrusted(proxy.chain(), "ECDHE_ECDSA"))
                .isInstanceOf(UntrustedServerException.class).hasMessageContaining("does not say which host");
        assertThatThrownBy(() -> trust.checkServerTrusted(proxy.chain(), "ECDHE_ECDSA", (Socket) null))
                .isInstanceOf(UntrustedServerException.class);
        assertThatThrownBy(() -> trust.checkServerTrusted(proxy.chain(), "ECDHE_ECDSA", (SSLEngine) null))
                .isInstanceOf(UntrustedServerException.class);
    }

    @Test
    void clientCertificatesAreNeverTrusted() {
        TestCertificates.Server proxy = TestCertificates.certificate("edge").dns("localhost").build();
        PinnedAnchorTrustManager trust = PinnedAnchorTrustManager.pinning(proxy.pin());

        assertThatThrownBy(() -> trust.checkClientTrusted(proxy.chain(), "EC")).isInstanceOf(CertificateException.class);
        assertThatThrownBy(() -> trust.checkClientTrusted(proxy.chain(), "EC", (Socket) null)).isInstanceOf(CertificateException.class);
        assertThatThrownBy(() -> trust.checkClientTrusted(proxy.chain(), "EC", (SSLEngine) null)).isInstanceOf(CertificateException.class);
        assertThat(trust.getAcceptedIssuers()).isEmpty();
    }

    @Test
    void wildcardsMatchExactlyOneLeftmostLabelAndNothingElse() {
        assertThat(PinnedAnchorTrustManager.HostnameMatcher.dnsMatches("a.example.com", "*.example.com")).isTrue();
        assertThat(PinnedAnchorTrustManager.HostnameMatcher.dnsMatches("a.b.example.com", "*.example.com")).isFalse();
        assertThat(PinnedAnchorTrustManager.HostnameMatcher.dnsMatches("example.com", "*.example.com")).isFalse();
        assertThat(PinnedAnchorTrustManager.HostnameMatcher.dnsMatches("example.com", "*.com")).isFalse();
        assertThat(PinnedAnchorTrustManager.HostnameMatcher.dnsMatches("ab.example.com", "a*.example.com")).isFalse();
        assertThat(PinnedAnchorTrustManager.HostnameMatcher.dnsMatches("a.example.com", "a.*.com")).isFalse();
        assertThat(PinnedAnchorTrustManager.HostnameMatcher.dnsMatches("a.example.com", "a.example.com")).isTrue();
    }

    @Test
    void namesCompareWithoutCaseAndWithoutATrailingDot() throws Exception {
        TestCertificates.Server proxy = TestCertificates.certificate("edge").dns("Access.Example.COM.").build();

        PinnedAnchorTrustManager.pinning(proxy.pin()).checkServerTrusted(proxy.chain(), "ECDHE_ECDSA", engineFor("access.example.com"));
    }

    @Test
    void theSubjectCommonNameIsNeverUsedAsAHostName() {
        TestCertificates.Server proxy = TestCertificates.certificate("localhost").build();

        assertThat(refusal(proxy.pin(), proxy.chain(), "localhost").reason()).isEqualTo(Reason.HOSTNAME_MISMATCH);
    }

    @Test
    void aPinMustBe32Bytes() {
        assertThatThrownBy(() -> PinnedAnchorTrustManager.pinning(new byte[31])).isInstanceOf(IllegalArgumentException.class);
    }

    // --- helpers ---

    private static UntrustedServerException refusal(byte[] pin, X509Certificate[] chain, String host) {
        Throwable thrown = catchThrowable(() -> PinnedAnchorTrustManager.pinning(pin)
                .checkServerTrusted(chain, "ECDHE_ECDSA", engineFor(host)));
        assertThat(thrown).isInstanceOf(UntrustedServerException.class);
        return (UntrustedServerException) thrown;
    }

    private static SSLEngine engineFor(String host) throws Exception {
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(null, null, null);
        return context.createSSLEngine(host, 443);
    }

    /**
     * Serves one TLS 1.3 connection with {@code server}'s chain on loopback, connects to it as
     * {@code host} trusting only {@code trust}, and reads one byte.
     *
     * @return null when the handshake succeeded, else the trust manager's refusal
     */
    private UntrustedServerException handshake(TestCertificates.Server server, String host, TrustManager trust) throws Exception {
        SSLContext serverContext = serverContext(server);
        try (SSLServerSocket listener = (SSLServerSocket) serverContext.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            listener.setEnabledProtocols(new String[] {"TLSv1.3"});
            serverThreads.submit(() -> {
                try (Socket accepted = listener.accept()) {
                    accepted.setSoTimeout(TIMEOUT_MILLIS);
                    ((SSLSocket) accepted).startHandshake();
                    accepted.getOutputStream().write(42);
                    accepted.getOutputStream().flush();
                } catch (IOException expectedWhenTheClientRefuses) {
                    // the client aborted the handshake
                }
                return null;
            });
            SSLContext clientContext = SSLContext.getInstance("TLSv1.3");
            clientContext.init(null, new TrustManager[] {trust}, new SecureRandom());
            try (SSLSocket client = (SSLSocket) clientContext.getSocketFactory().createSocket(host, listener.getLocalPort())) {
                client.setSoTimeout(TIMEOUT_MILLIS);
                client.setEnabledProtocols(new String[] {"TLSv1.3"});
                client.startHandshake();
                InputStream in = client.getInputStream();
                assertThat(in.read()).isEqualTo(42);
                return null;
            } catch (IOException e) {
                UntrustedServerException refusal = untrusted(e);
                if (refusal == null) {
                    throw e;
                }
                return refusal;
            }
        }
    }

    private static SSLContext serverContext(TestCertificates.Server server) throws Exception {
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(server.keyStore(STORE_PASSWORD), STORE_PASSWORD);
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(keys.getKeyManagers(), null, new SecureRandom());
        return context;
    }

    private static String get(URI uri, TrustManager trust) throws Exception {
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(null, new TrustManager[] {trust}, new SecureRandom());
        SSLParameters parameters = new SSLParameters();
        parameters.setProtocols(new String[] {"TLSv1.3"});
        HttpClient client = HttpClient.newBuilder().sslContext(context).sslParameters(parameters)
                .connectTimeout(Duration.ofMillis(TIMEOUT_MILLIS)).build();
        return client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofMillis(TIMEOUT_MILLIS)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static UntrustedServerException untrusted(Throwable thrown) {
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            if (t instanceof UntrustedServerException refusal) {
                return refusal;
            }
        }
        return null;
    }
}
