package dev.portcullis.core.link;

import io.grpc.ManagedChannel;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/** Builds the outbound channels core dials components with. Core is always the TLS client. */
final class Channels {

    /** Proxy requests carry bodies of at most 64 KiB; 4 MiB leaves room for later config snapshots. */
    static final int MAX_INBOUND_MESSAGE_BYTES = 4 * 1024 * 1024;
    /** Detects a dead component (or a silently dropped NAT mapping) within a minute. */
    static final Duration KEEPALIVE_TIME = Duration.ofSeconds(30);
    static final Duration KEEPALIVE_TIMEOUT = Duration.ofSeconds(10);
    /** A component that cannot finish a TLS handshake in this time is treated as down. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private Channels() {
    }

    /**
     * A new TLS context per dial, deliberately: no TLS session is ever resumed, so every connection
     * runs the full handshake and the trust manager's checks (pinned CA, identity, the serial core
     * issued, revocation) against the component's current certificate.
     */
    static ManagedChannel dial(String host, int port, X509ExtendedKeyManager keyManager,
                               X509ExtendedTrustManager trustManager, Executor executor) {
        SslContext context;
        try {
            context = GrpcSslContexts.configure(SslContextBuilder.forClient(), SslProvider.JDK)
                    .keyManager(keyManager)
                    .trustManager(trustManager)
                    .protocols("TLSv1.3")
                    .build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot build TLS client context", e);
        }
        return NettyChannelBuilder.forAddress(new InetSocketAddress(host, port))
                .sslContext(context)
                .executor(executor)
                .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
                .keepAliveTime(KEEPALIVE_TIME.toSeconds(), TimeUnit.SECONDS)
                .keepAliveTimeout(KEEPALIVE_TIMEOUT.toSeconds(), TimeUnit.SECONDS)
                .withOption(io.netty.channel.ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) CONNECT_TIMEOUT.toMillis())
                .disableRetry()
                .build();
    }

    static void close(ManagedChannel channel) {
        if (channel == null) {
            return;
        }
        channel.shutdownNow();
        try {
            channel.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
