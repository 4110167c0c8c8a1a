package dev.portcullis.pki.tls;

import static dev.portcullis.pki.cert.TestCa.NOW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.portcullis.pki.cert.KeyPairs;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.cert.PeerIdentity.Role;
import dev.portcullis.pki.cert.TestCa;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class ReloadableKeyManagerTest {

    private static final PeerIdentity GATEWAY = PeerIdentity.component(Role.GATEWAY, "0b5c6f3e-9a1d-4c2b-8e7f-1a2b3c4d5e6f");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private static final int TIMEOUT_MILLIS = 5_000;

    private final TestCa ca = TestCa.create("Portcullis CA");
    private final TestCa.Issued first = ca.server(GATEWAY);
    private final TestCa.Issued second = ca.server(GATEWAY);

    // --- the key manager on its own, called the way JSSE calls it ---

    @Test
    void replaceChangesTheChainAndKeyPresentedForTheChosenAlias() {
        ReloadableKeyManager keys = new ReloadableKeyManager(first.keyMaterial());
        String before = keys.chooseServerAlias("EC", null, null);
        assertThat(keys.getCertificateChain(before)).containsExactly(first.chain());
        assertThat(keys.getPrivateKey(before)).isEqualTo(first.keyPair().getPrivate());

        keys.replace(second.keyMaterial());

        String after = keys.chooseServerAlias("EC", null, null);
        assertThat(keys.getCertificateChain(after)).containsExactly(second.chain());
        assertThat(keys.getPrivateKey(after)).isEqualTo(second.keyPair().getPrivate());
        assertThat(keys.current()).isEqualTo(second.keyMaterial());
    }

    @Test
    void everyWayOfChoosingAnAliasLeadsToTheCurrentMaterial() {
        ReloadableKeyManager keys = new ReloadableKeyManager(first.keyMaterial());
        keys.replace(second.keyMaterial());

        List<String> aliases = List.of(
                keys.chooseServerAlias("EC", null, null),
                keys.chooseEngineServerAlias("EC", null, null),
                keys.chooseClientAlias(new String[] {"EC"}, null, null),
                keys.chooseEngineClientAlias(new String[] {"EC"}, null, null),
                keys.getServerAliases("EC", null)[0],
                keys.getClientAliases("EC", null)[0]);

        for (String alias : aliases) {
            assertThat(keys.getCertificateChain(alias)).containsExactly(second.chain());
            assertThat(keys.getPrivateKey(alias)).isEqualTo(second.keyPair().getPrivate());
        }
    }

    @Test
    void anUnknownAliasHasNoKeyAndNoChain() {
        ReloadableKeyManager keys = new ReloadableKeyManager(first.keyMaterial());

        for (String alias : new String[] {"other", "", null, "PORTCULLIS"}) {
            assertThat(keys.getCertificateChain(alias)).isNull();
            assertThat(keys.getPrivateKey(alias)).isNull();
        }
    }

    @Test
    void theReturnedChainIsACopy() {
        ReloadableKeyManager keys = new ReloadableKeyManager(first.keyMaterial());
        String alias = keys.chooseServerAlias("EC", null, null);

        X509Certificate[] chain = keys.getCertificateChain(alias);
        chain[0] = second.certificate();

        assertThat(keys.getCertificateChain(alias)).containsExactly(first.chain());
        assertThat(keys.current().leaf()).isEqualTo(first.certificate());
    }

    /**
     * JSSE asks for the private key and then, in a separate call, for the chain of the alias it
     * chose. A rotation between the two calls must not pair the old key with the new certificate,
     * or that handshake fails with a signature the peer cannot verify.
     */
    @Test
    void aHandshakeThatChoseItsAliasBeforeAReplaceGetsAKeyAndChainThatBelongTogether() throws Exception {
        ReloadableKeyManager keys = new ReloadableKeyManager(first.keyMaterial());

        String alias = keys.chooseServerAlias("EC", null, null);
        PrivateKey key = keys.getPrivateKey(alias);
        keys.replace(second.keyMaterial());
        X509Certificate[] chain = keys.getCertificateChain(alias);

        assertThat(chain).isNotNull();
        assertThat(signsFor(key, chain[0].getPublicKey())).isTrue();
    }

    private static boolean signsFor(PrivateKey key, PublicKey publicKey) throws Exception {
        byte[] message = "portcullis".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        Signature signer = Signature.getInstance(KeyPairs.SIGNATURE_ALGORITHM);
        signer.initSign(key);
        signer.update(message);
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance(KeyPairs.SIGNATURE_ALGORITHM);
        verifier.initVerify(publicKey);
        verifier.update(message);
        return verifier.verify(signature);
    }

    // --- real TLS over loopback ---

    @Test
    @Timeout(30)
    void afterReplaceNewConnectionsSeeTheNewCertificateAndEstablishedOnesKeepWorking() throws Exception {
        ReloadableKeyManager serverKeys = new ReloadableKeyManager(first.keyMaterial());
        TestCa.Issued core = ca.client(PeerIdentity.core());
        try (EchoServer server = new EchoServer(serverKeys, PeerPolicy.only(PeerIdentity.core()));
             SSLSocket established = server.connect(core)) {
            assertThat(established.getSession().getPeerCertificates()[0]).isEqualTo(first.certificate());
            assertEchoes(established, 1);

            serverKeys.replace(second.keyMaterial());

            try (SSLSocket fresh = server.connect(core)) {
                assertThat(fresh.getSession().getPeerCertificates()[0]).isEqualTo(second.certificate());
                assertEchoes(fresh, 2);
            }
            assertEchoes(established, 3);
            assertThat(established.getSession().getPeerCertificates()[0]).isEqualTo(first.certificate());
            assertThat(server.rejections).isEmpty();
        }
    }

    @Test
    @Timeout(30)
    void aClientFromARogueCaIsRejectedOverRealTls() throws Exception {
        TestCa rogue = TestCa.create("Portcullis CA");
        try (EchoServer server = new EchoServer(new ReloadableKeyManager(first.keyMaterial()),
                PeerPolicy.only(PeerIdentity.core()))) {
            Throwable failure = catchThrowable(() -> {
                try (SSLSocket socket = server.connect(rogue.client(PeerIdentity.core()))) {
                    assertEchoes(socket, 7);
                }
            });

            assertThat(failure).isInstanceOf(IOException.class);
            Throwable serverFailure = server.failures.poll(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            assertThat(serverFailure).isInstanceOf(IOException.class);
            assertThat(server.rejections).singleElement().asString().contains("not signed by the pinned Portcullis CA");
        }
    }

    private static void assertEchoes(SSLSocket socket, int value) throws IOException {
        OutputStream out = socket.getOutputStream();
        InputStream in = socket.getInputStream();
        out.write(value);
        out.flush();
        int echoed = in.read();
        if (echoed != value) {
            throw new SocketException("expected echo " + value + " but read " + echoed);
        }
    }

    /** A TLS server requiring a client certificate, echoing bytes on every accepted connection. */
    private final class EchoServer implements AutoCloseable {
        final List<String> rejections = new CopyOnWriteArrayList<>();
        final BlockingQueue<Throwable> failures = new LinkedBlockingQueue<>();
        private final SSLServerSocket serverSocket;
        private final ExecutorService threads = Executors.newCachedThreadPool();
        private final List<SSLSocket> accepted = new CopyOnWriteArrayList<>();

        EchoServer(ReloadableKeyManager keys, PeerPolicy clientPolicy) throws Exception {
            SSLContext context = SSLContext.getInstance("TLSv1.3");
            context.init(new KeyManager[] {keys},
                    new TrustManager[] {PinnedTrustManager.pinning(ca.certificate(), clientPolicy, CLOCK, rejections::add)},
                    null);
            serverSocket = (SSLServerSocket) context.getServerSocketFactory()
                    .createServerSocket(0, 16, InetAddress.getLoopbackAddress());
            serverSocket.setNeedClientAuth(true);
            serverSocket.setEnabledProtocols(new String[] {"TLSv1.3"});
            threads.execute(this::acceptLoop);
        }

        private void acceptLoop() {
            while (!serverSocket.isClosed()) {
                try {
                    SSLSocket socket = (SSLSocket) serverSocket.accept();
                    socket.setSoTimeout(TIMEOUT_MILLIS);
                    accepted.add(socket);
                    threads.execute(() -> echo(socket));
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void echo(SSLSocket socket) {
            try (socket) {
                socket.startHandshake();
                InputStream in = socket.getInputStream();
                OutputStream out = socket.getOutputStream();
                for (int b = in.read(); b >= 0; b = in.read()) {
                    out.write(b);
                    out.flush();
                }
            } catch (IOException e) {
                failures.add(e);
            }
        }

        /** A new client connection, each from a new client context so that no TLS session is resumed. */
        SSLSocket connect(TestCa.Issued client) throws Exception {
            SSLContext context = SSLContext.getInstance("TLSv1.3");
            context.init(new KeyManager[] {new ReloadableKeyManager(client.keyMaterial())},
                    new TrustManager[] {PinnedTrustManager.pinning(ca.certificate(), PeerPolicy.only(GATEWAY), CLOCK,
                            reason -> { })},
                    null);
            SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket();
            try {
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), serverSocket.getLocalPort()),
                        TIMEOUT_MILLIS);
                socket.setSoTimeout(TIMEOUT_MILLIS);
                socket.setEnabledProtocols(new String[] {"TLSv1.3"});
                socket.startHandshake();
                return socket;
            } catch (Exception e) {
                socket.close();
                throw e;
            }
        }

        @Override
        public void close() throws Exception {
            try {
                serverSocket.close();
                for (SSLSocket socket : accepted) {
                    socket.close();
                }
            } finally {
                threads.shutdownNow();
                threads.awaitTermination(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            }
        }
    }
}
