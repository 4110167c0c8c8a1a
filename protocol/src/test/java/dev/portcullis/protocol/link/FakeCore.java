package dev.portcullis.protocol.link;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.portcullis.pki.authority.CertificateAuthority;
import dev.portcullis.pki.cert.CaFingerprint;
import dev.portcullis.pki.cert.CertificateRequest;
import dev.portcullis.pki.cert.Certificates;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.join.JoinToken;
import dev.portcullis.pki.tls.KeyMaterial;
import dev.portcullis.pki.tls.PeerPolicy;
import dev.portcullis.pki.tls.PinnedTrustManager;
import dev.portcullis.pki.tls.ReloadableKeyManager;
import dev.portcullis.protocol.v1.ComponentControlGrpc;
import dev.portcullis.protocol.v1.ComponentKind;
import dev.portcullis.protocol.v1.ComponentMessage;
import dev.portcullis.protocol.v1.ComponentSetupGrpc;
import dev.portcullis.protocol.v1.CoreMessage;
import dev.portcullis.protocol.v1.JoinCertificate;
import dev.portcullis.protocol.v1.JoinChallenge;
import dev.portcullis.protocol.v1.JoinProof;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Core's side of the link as the tests need it: a real CA, core's real client certificate, and
 * gRPC channels over real TLS on loopback. It dials; the component under test serves.
 */
final class FakeCore implements AutoCloseable {

    static final Duration TIMEOUT = Duration.ofSeconds(10);
    static final Duration CERTIFICATE_LIFETIME = Duration.ofDays(7);

    final Clock clock = Clock.systemUTC();
    final CertificateAuthority ca;
    final KeyMaterial coreKey;
    private final List<ManagedChannel> channels = new ArrayList<>();

    FakeCore() {
        this.ca = CertificateAuthority.create("Portcullis test CA", clock);
        this.coreKey = ca.issueCore(Duration.ofDays(1));
    }

    JoinToken mintToken(String componentId) {
        return JoinToken.mint(componentId, CaFingerprint.of(ca.certificate()));
    }

    X509Certificate issue(CertificateRequest request, PeerIdentity identity) {
        return ca.issueComponent(request, identity, List.of("127.0.0.1"), CERTIFICATE_LIFETIME);
    }

    // --- channels ------------------------------------------------------------------------------

    /** Setup mode: the component's certificate is self-signed, so it is recorded rather than verified. */
    ManagedChannel dialSetup(int port, KeyMaterial clientKey, RecordingTrust seen) {
        return dial(port, clientKey, seen);
    }

    ManagedChannel dialSetup(int port, KeyMaterial clientKey) {
        return dial(port, clientKey, RecordingTrust.acceptingAnything());
    }

    /** Adopted mode: the component's certificate must come from this CA and carry its identity. */
    ManagedChannel dialAdopted(int port, KeyMaterial clientKey, PeerIdentity component, RecordingTrust[] seen) {
        RecordingTrust trust = RecordingTrust.verifying(PinnedTrustManager.pinning(ca.certificate(),
                PeerPolicy.only(component), clock, reason -> { }));
        if (seen != null) {
            seen[0] = trust;
        }
        return dial(port, clientKey, trust);
    }

    ManagedChannel dialAdopted(int port, PeerIdentity component) {
        return dialAdopted(port, coreKey, component, null);
    }

    /** A TLS 1.3 client; {@code clientKey} null means no client certificate at all. */
    ManagedChannel dial(int port, KeyMaterial clientKey, X509ExtendedTrustManager trust) {
        return dial(port, clientKey, trust, "TLSv1.3");
    }

    ManagedChannel dial(int port, KeyMaterial clientKey, X509ExtendedTrustManager trust, String protocol) {
        try {
            SslContextBuilder tls = GrpcSslContexts.configure(SslContextBuilder.forClient(), SslProvider.JDK)
                    .trustManager(trust)
                    .protocols(protocol);
            if (clientKey != null) {
                tls.keyManager(new ReloadableKeyManager(clientKey));
            }
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port)
                    .sslContext(tls.build())
                    .disableRetry()
                    .build();
            synchronized (channels) {
                channels.add(channel);
            }
            return channel;
        } catch (SSLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Opens a TCP+TLS connection without making a call; true if it became ready. */
    static boolean connects(ManagedChannel channel) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        ConnectivityState state = channel.getState(true);
        while (System.nanoTime() < deadline) {
            if (state == ConnectivityState.READY) {
                return true;
            }
            if (state == ConnectivityState.TRANSIENT_FAILURE) {
                return false;
            }
            state = channel.getState(true);
            sleep(10);
        }
        return false;
    }

    // --- setup ---------------------------------------------------------------------------------

    JoinProof join(ManagedChannel channel, String componentId, ComponentKind kind) {
        return ComponentSetupGrpc.newBlockingStub(channel).withDeadlineAfter(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .join(JoinChallenge.newBuilder().setComponentId(componentId).setKind(kind).build());
    }

    void complete(ManagedChannel channel, X509Certificate certificate, X509Certificate caCertificate) {
        ComponentSetupGrpc.newBlockingStub(channel).withDeadlineAfter(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .complete(JoinCertificate.newBuilder()
                        .setCertificateDer(ByteString.copyFrom(Certificates.der(certificate)))
                        .setCaCertificateDer(ByteString.copyFrom(Certificates.der(caCertificate)))
                        .build());
    }

    /** The whole join ceremony against a link in setup mode; returns the installed certificate. */
    X509Certificate adopt(ComponentLink link, PeerIdentity.Role role) throws Exception {
        ManagedChannel setup = dialSetup(link.port(), coreKey);
        JoinProof proof = join(setup, link.componentId(), ComponentLink.kind(role));
        X509Certificate certificate = issue(CertificateRequest.parse(proof.getCsrDer().toByteArray()),
                PeerIdentity.component(role, link.componentId()));
        complete(setup, certificate, ca.certificate());
        setup.shutdownNow();
        awaitTrue(() -> link.state() == LinkState.WAITING_FOR_CORE, "link switched to mTLS");
        return certificate;
    }

    // --- control -------------------------------------------------------------------------------

    Session openControl(ManagedChannel channel) {
        Session session = new Session();
        session.toComponent = ComponentControlGrpc.newStub(channel).control(session);
        return session;
    }

    /** One control stream as core sees it. */
    static final class Session implements StreamObserver<ComponentMessage> {
        private final BlockingQueue<ComponentMessage> received = new LinkedBlockingQueue<>();
        final CompletableFuture<Status> closed = new CompletableFuture<>();
        private StreamObserver<CoreMessage> toComponent;

        synchronized void send(CoreMessage message) {
            toComponent.onNext(message);
        }

        synchronized void cancel() {
            toComponent.onError(Status.CANCELLED.withDescription("test hangs up").asRuntimeException());
        }

        ComponentMessage next() throws InterruptedException {
            ComponentMessage message = received.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(message).as("a message from the component within " + TIMEOUT).isNotNull();
            return message;
        }

        ComponentMessage expect(ComponentMessage.BodyCase body) throws InterruptedException {
            ComponentMessage message = next();
            assertThat(message.getBodyCase()).isEqualTo(body);
            return message;
        }

        /** Nothing else arrived (checked after a round trip that proves the component got further). */
        void expectNothingPending() {
            assertThat(received).isEmpty();
        }

        Status awaitClosed() throws Exception {
            return closed.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }

        @Override
        public void onNext(ComponentMessage message) {
            received.add(message);
        }

        @Override
        public void onError(Throwable t) {
            closed.complete(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            closed.complete(Status.OK);
        }
    }

    // --- helpers -------------------------------------------------------------------------------

    /** A client trust manager that remembers the chain the server presented. */
    static final class RecordingTrust extends X509ExtendedTrustManager {
        private final X509ExtendedTrustManager delegate;
        private final AtomicReference<X509Certificate[]> last = new AtomicReference<>();

        private RecordingTrust(X509ExtendedTrustManager delegate) {
            this.delegate = delegate;
        }

        static RecordingTrust acceptingAnything() {
            return new RecordingTrust(null);
        }

        static RecordingTrust verifying(X509ExtendedTrustManager delegate) {
            return new RecordingTrust(delegate);
        }

        X509Certificate serverCertificate() {
            X509Certificate[] chain = last.get();
            return chain == null ? null : chain[0];
        }

        private void record(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            if (delegate != null) {
                delegate.checkServerTrusted(chain, authType, engine);
            }
            last.set(chain.clone());
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            record(chain, authType, engine);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            record(chain, authType, null);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            record(chain, authType, null);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            throw new CertificateException("a test client does not serve");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            throw new CertificateException("a test client does not serve");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a test client does not serve");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    static void awaitTrue(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            sleep(10);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    @Override
    public void close() {
        List<ManagedChannel> open;
        synchronized (channels) {
            open = new ArrayList<>(channels);
        }
        for (ManagedChannel channel : open) {
            channel.shutdownNow();
        }
        for (ManagedChannel channel : open) {
            try {
                channel.awaitTermination(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
