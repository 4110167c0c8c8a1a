package dev.portcullis.protocol.link;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listening side of a component link: the event loops, the one thread that runs calls, and
 * the TLS gRPC servers built on them. Every bound here applies before or regardless of who the
 * peer turns out to be, so each is a named constant saying why it has its value.
 */
final class LinkServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LinkServer.class);

    /** Core and components are built together; nothing older than TLS 1.3 needs to be spoken. */
    static final String TLS_PROTOCOL = "TLSv1.3";
    /**
     * Largest message core may send on the control stream. The largest legitimate one is a
     * ProxyResponse carrying a page or asset for the edge-proxy; 4 MiB covers those and bounds
     * the memory one message can pin. Core reads with the same bound.
     */
    static final int MAX_CONTROL_MESSAGE_BYTES = 4 * 1024 * 1024;
    /** Setup carries at most a JoinCertificate: two certificates of at most 16 KiB each. */
    static final int MAX_SETUP_MESSAGE_BYTES = 64 * 1024;
    /**
     * How often core may send HTTP/2 keepalive pings. Core pings every 30 s to notice a dead link;
     * anything much faster than this is abuse and gets the connection closed (ENHANCE_YOUR_CALM).
     */
    static final Duration KEEPALIVE_PERMIT_TIME = Duration.ofSeconds(10);
    /** We ping core as well, so a silently vanished core moves us to WAITING_FOR_CORE within a minute. */
    static final Duration KEEPALIVE_TIME = Duration.ofSeconds(30);
    static final Duration KEEPALIVE_TIMEOUT = Duration.ofSeconds(10);
    /**
     * Core holds one control stream per connection, two for a moment while a new stream replaces
     * the old one. A small cap keeps a misbehaving peer from opening streams without bound.
     */
    static final int MAX_CONCURRENT_CALLS_PER_CONNECTION = 4;
    /**
     * A peer that connects and never finishes TLS holds a socket and buffers; core on a private
     * network finishes in milliseconds, so 10 s is generous even over a slow link.
     */
    static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    /**
     * After adoption the setup server releases the port and the mTLS server takes it. Another
     * process cannot normally grab it in between, but the old socket may take a moment to close.
     */
    static final Duration REBIND_PATIENCE = Duration.ofSeconds(5);
    private static final Duration REBIND_INTERVAL = Duration.ofMillis(50);
    /** Time a stopping server gives finished calls to flush their last frames before it cuts connections. */
    static final Duration STOP_GRACE = Duration.ofSeconds(1);
    private static final Duration TERMINATION_WAIT = Duration.ofSeconds(5);
    private static final String CALL_THREAD_NAME = "portcullis-link-calls";

    private final EventLoopGroup acceptor;
    private final EventLoopGroup workers;
    /**
     * Runs every call, one at a time: the handler sees messages in order and never concurrently,
     * and the link's bookkeeping needs no cross-stream ordering beyond this.
     */
    private final ExecutorService calls;
    /** The thread {@link #calls} runs on; written once by its thread factory. */
    private volatile Thread callThread;

    LinkServer() {
        this.acceptor = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("portcullis-link-accept", true),
                NioIoHandler.newFactory());
        this.workers = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("portcullis-link-io", true),
                NioIoHandler.newFactory());
        this.calls = Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(task, CALL_THREAD_NAME);
            thread.setDaemon(true);
            callThread = thread;
            return thread;
        });
    }

    /** TLS for setup mode: the self-signed certificate, and a client certificate is required. */
    static SslContext setupTls(KeyPair keyPair, X509Certificate selfSigned, X509ExtendedTrustManager trust)
            throws SSLException {
        return GrpcSslContexts.configure(SslContextBuilder.forServer(keyPair.getPrivate(), selfSigned), SslProvider.JDK)
                .trustManager(trust)
                .clientAuth(ClientAuth.REQUIRE)
                .protocols(TLS_PROTOCOL)
                .build();
    }

    /** TLS once adopted: the (replaceable) CA-issued certificate, and a client certificate is required. */
    static SslContext adoptedTls(X509ExtendedKeyManager keyManager, X509ExtendedTrustManager trust) throws SSLException {
        return GrpcSslContexts.configure(SslContextBuilder.forServer(keyManager), SslProvider.JDK)
                .trustManager(trust)
                .clientAuth(ClientAuth.REQUIRE)
                .protocols(TLS_PROTOCOL)
                .build();
    }

    /** Binds once. */
    Server bind(InetSocketAddress address, SslContext tls, int maxMessageBytes, String mode, BindableService service)
            throws IOException {
        return build(address, tls, maxMessageBytes, mode, service).start();
    }

    /** Binds the port another server of this link has just released, retrying for a short while. */
    Server rebind(InetSocketAddress address, SslContext tls, int maxMessageBytes, String mode, BindableService service)
            throws IOException {
        long deadline = System.nanoTime() + REBIND_PATIENCE.toNanos();
        while (true) {
            try {
                return bind(address, tls, maxMessageBytes, mode, service);
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                log.debug("port {} not free yet, retrying: {}", address.getPort(), e.getMessage());
                sleep(REBIND_INTERVAL);
            }
        }
    }

    private Server build(InetSocketAddress address, SslContext tls, int maxMessageBytes, String mode,
                         BindableService service) {
        return NettyServerBuilder.forAddress(address)
                .channelFactory(() -> new ObservedServerChannel(mode))
                .bossEventLoopGroup(acceptor)
                .workerEventLoopGroup(workers)
                .withOption(ChannelOption.SO_REUSEADDR, true)
                .executor(calls)
                .sslContext(tls)
                .addService(service)
                .maxInboundMessageSize(maxMessageBytes)
                .maxConcurrentCallsPerConnection(MAX_CONCURRENT_CALLS_PER_CONNECTION)
                .permitKeepAliveTime(KEEPALIVE_PERMIT_TIME.toMillis(), TimeUnit.MILLISECONDS)
                .permitKeepAliveWithoutCalls(true)
                .keepAliveTime(KEEPALIVE_TIME.toMillis(), TimeUnit.MILLISECONDS)
                .keepAliveTimeout(KEEPALIVE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .handshakeTimeout(HANDSHAKE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .build();
    }

    /**
     * Stops a server: no new connections at once, then {@code grace} for finished calls to flush,
     * then every connection is cut. Blocks; never call it on the call thread.
     */
    static void stop(Server server, Duration grace) {
        server.shutdown();
        try {
            if (!server.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                server.shutdownNow();
                server.awaitTermination(TERMINATION_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /** {@link #stop} on a short-lived thread of its own, for callers on the call thread. */
    static void stopInBackground(Server server, Duration grace) {
        Thread stopper = new Thread(() -> stop(server, grace), "portcullis-link-stop");
        stopper.setDaemon(true);
        stopper.start();
    }

    /** Whether the current thread is the one running calls (where blocking on the server would deadlock). */
    boolean onCallThread() {
        return Thread.currentThread() == callThread;
    }

    private static void sleep(Duration duration) throws IOException {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the port to be released", e);
        }
    }

    /** Releases the threads. Servers built here must have been stopped (or are cut off by this). */
    @Override
    public void close() {
        calls.shutdownNow();
        acceptor.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        if (!onCallThread()) {
            acceptor.terminationFuture().awaitUninterruptibly(TERMINATION_WAIT.toMillis());
            workers.terminationFuture().awaitUninterruptibly(TERMINATION_WAIT.toMillis());
        }
    }
}
