package dev.portcullis.core.link;

import dev.portcullis.pki.tls.KeyMaterial;
import dev.portcullis.pki.tls.ReloadableKeyManager;
import dev.portcullis.protocol.v1.ComponentControlGrpc;
import dev.portcullis.protocol.v1.ComponentMessage;
import dev.portcullis.protocol.v1.ComponentSetupGrpc;
import dev.portcullis.protocol.v1.CoreMessage;
import dev.portcullis.protocol.v1.JoinCertificate;
import dev.portcullis.protocol.v1.JoinChallenge;
import dev.portcullis.protocol.v1.JoinCompleted;
import dev.portcullis.protocol.v1.JoinProof;
import io.grpc.Server;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A component that does not follow the rules: it presents whatever certificate the test gives
 * it, answers join challenges with whatever proof the test gives it, and records what core sent.
 * Core must never adopt it or hand it configuration.
 */
final class ImpostorComponent implements AutoCloseable {

    final AtomicInteger joinChallenges = new AtomicInteger();
    final List<JoinCertificate> certificatesReceived = new CopyOnWriteArrayList<>();
    final List<CoreMessage> controlMessages = new CopyOnWriteArrayList<>();
    private final Server server;

    ImpostorComponent(KeyMaterial presented, JoinProof proof) throws IOException {
        var context = GrpcSslContexts.configure(SslContextBuilder.forServer(new ReloadableKeyManager(presented)),
                SslProvider.JDK).protocols("TLSv1.3").build();
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .sslContext(context)
                .addService(new ComponentSetupGrpc.ComponentSetupImplBase() {
                    @Override
                    public void join(JoinChallenge request, StreamObserver<JoinProof> response) {
                        joinChallenges.incrementAndGet();
                        response.onNext(proof);
                        response.onCompleted();
                    }

                    @Override
                    public void complete(JoinCertificate request, StreamObserver<JoinCompleted> response) {
                        certificatesReceived.add(request);
                        response.onNext(JoinCompleted.getDefaultInstance());
                        response.onCompleted();
                    }
                })
                .addService(new ComponentControlGrpc.ComponentControlImplBase() {
                    @Override
                    public StreamObserver<CoreMessage> control(StreamObserver<ComponentMessage> response) {
                        return new StreamObserver<>() {
                            @Override
                            public void onNext(CoreMessage message) {
                                controlMessages.add(message);
                            }

                            @Override
                            public void onError(Throwable t) {
                            }

                            @Override
                            public void onCompleted() {
                                response.onCompleted();
                            }
                        };
                    }
                })
                .build()
                .start();
    }

    int port() {
        return server.getPort();
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
    }
}
