package dev.portcullis.protocol.testing;

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
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;

/**
 * Core as far as a component can tell: a real CA, core's real client certificate, and gRPC over
 * real TLS on loopback. It adopts a component with the join ceremony and opens control streams.
 * Shared with the edge-proxy and gateway tests through this module's test-jar.
 */
public final class TestCore implements AutoCloseable {

    public static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final Clock clock = Clock.systemUTC();
    private final CertificateAuthority ca = CertificateAuthority.create("Portcullis test CA", clock);
    private final KeyMaterial coreKey = ca.issueCore(Duration.ofDays(1));
    private final List<ManagedChannel> channels = new ArrayList<>();
    public final String componentId = UUID.randomUUID().toString();

    public JoinToken mintToken() {
        return JoinToken.mint(componentId, CaFingerprint.of(ca.certificate()));
    }

    /** Join, then Complete, over the component's setup-mode TLS (its certificate is self-signed there). */
    public void adopt(int controlPort, PeerIdentity.Role role) throws Exception {
        ManagedChannel setup = dial(controlPort, InsecureTrustManagerFactory.INSTANCE.getTrustManagers()[0]);
        try {
            JoinProof proof = ComponentSetupGrpc.newBlockingStub(setup).withDeadlineAfter(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .join(JoinChallenge.newBuilder().setComponentId(componentId).setKind(kind(role)).build());
            X509Certificate certificate = ca.issueComponent(CertificateRequest.parse(proof.getCsrDer().toByteArray()),
                    PeerIdentity.component(role, componentId), List.of("127.0.0.1"), Duration.ofDays(7));
            ComponentSetupGrpc.newBlockingStub(setup).withDeadlineAfter(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .complete(JoinCertificate.newBuilder()
                            .setCertificateDer(ByteString.copyFrom(Certificates.der(certificate)))
                            .setCaCertificateDer(ByteString.copyFrom(Certificates.der(ca.certificate())))
                            .build());
        } finally {
            setup.shutdownNow();
        }
    }

    /** Opens a control stream over mTLS, checking the component's certificate and identity as core does. */
    public Session openControl(int controlPort, PeerIdentity.Role role) {
        PinnedTrustManager trust = PinnedTrustManager.pinning(ca.certificate(),
                PeerPolicy.only(PeerIdentity.component(role, componentId)), clock, reason -> { });
        ManagedChannel channel = dial(controlPort, trust);
        Session session = new Session();
        session.toComponent = ComponentControlGrpc.newStub(channel).control(session);
        return session;
    }

    private ManagedChannel dial(int port, TrustManager trust) {
        try {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port)
                    .sslContext(GrpcSslContexts.configure(SslContextBuilder.forClient(), SslProvider.JDK)
                            .trustManager(trust)
                            .keyManager(new ReloadableKeyManager(coreKey))
                            .build())
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

    private static ComponentKind kind(PeerIdentity.Role role) {
        return role == PeerIdentity.Role.EDGE_PROXY ? ComponentKind.COMPONENT_KIND_EDGE_PROXY : ComponentKind.COMPONENT_KIND_GATEWAY;
    }

    public static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for: " + what).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    @Override
    public void close() {
        synchronized (channels) {
            channels.forEach(ManagedChannel::shutdownNow);
        }
    }

    /** One control stream as core sees it. */
    public static final class Session implements StreamObserver<ComponentMessage> {
        private final BlockingQueue<ComponentMessage> received = new LinkedBlockingQueue<>();
        public final List<ComponentMessage> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        public final CompletableFuture<Status> closed = new CompletableFuture<>();
        private StreamObserver<CoreMessage> toComponent;

        public synchronized void send(CoreMessage message) {
            toComponent.onNext(message);
        }

        public synchronized void hangUp() {
            toComponent.onError(Status.CANCELLED.withDescription("core hangs up").asRuntimeException());
        }

        /** The next message of this kind; others (telemetry, pongs) are skipped but kept in {@link #seen}. */
        public ComponentMessage expect(ComponentMessage.BodyCase body) throws InterruptedException {
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (true) {
                ComponentMessage message = received.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                assertThat(message).as("a %s from the component within %s", body, TIMEOUT).isNotNull();
                if (message.getBodyCase() == body) {
                    return message;
                }
            }
        }

        @Override
        public void onNext(ComponentMessage message) {
            seen.add(message);
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
}
