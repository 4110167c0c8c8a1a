package dev.portcullis.edge.http;

import dev.portcullis.edge.forward.Forwarder;
import dev.portcullis.edge.pages.StaticPages;
import dev.portcullis.edge.ratelimit.RateLimits;
import dev.portcullis.edge.tls.PublicCertificate;
import dev.portcullis.edge.tls.TlsPolicy;
import dev.portcullis.protocol.link.PortRelease;
import io.micronaut.context.ApplicationContext;
import io.micronaut.http.server.netty.NettyServerCustomizer;
import io.micronaut.http.ssl.CertificateProvider;
import io.micronaut.inject.qualifiers.Qualifiers;
import io.micronaut.runtime.graceful.GracefulShutdownCapable;
import io.micronaut.runtime.server.EmbeddedServer;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public HTTPS server: health, the enrollment pages, forwarding, rate limiting and security
 * headers, on Micronaut over Netty with the JDK's TLS. Only HTTPS is bound; there is no plain-HTTP
 * listener.
 */
public final class PublicHttpServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PublicHttpServer.class);
    /** Requests in progress at shutdown get this long to finish; waiting ones already failed when core went away. */
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(5);
    /** Headers of one request; Netty's default, stated so it cannot drift. */
    private static final int MAX_HEADER_BYTES = 8 * 1024;

    private final ApplicationContext context;
    private final EmbeddedServer server;
    /** The bound address, to check that stopping really released it. */
    private final InetSocketAddress bound;

    private PublicHttpServer(ApplicationContext context, EmbeddedServer server) {
        this.context = context;
        this.server = server;
        this.bound = new InetSocketAddress(server.getHost(), server.getPort());
    }

    public static PublicHttpServer start(InetSocketAddress listen, PublicCertificate certificate, Forwarder forwarder,
                                         RateLimits limits) {
        return start(listen, certificate, forwarder, limits, RequestDeadline.DEFAULT);
    }

    /**
     * @param requestDeadline how long a client may take to send a complete request (see
     *                        {@link RequestDeadline}); shorter only in tests
     */
    public static PublicHttpServer start(InetSocketAddress listen, PublicCertificate certificate, Forwarder forwarder,
                                         RateLimits limits, Duration requestDeadline) {
        // Read before anything is bound: a build without its pages does not start.
        StaticPages pages = StaticPages.fromClasspath();
        char[] keyStorePassword = randomPassword();
        Map<String, Object> properties = new HashMap<>();
        properties.put("micronaut.server.host", listen.getAddress().getHostAddress());
        properties.put("micronaut.server.ssl.enabled", true);
        // Micronaut spells "any free port" as -1.
        properties.put("micronaut.server.ssl.port", listen.getPort() == 0 ? -1 : listen.getPort());
        properties.put("micronaut.server.ssl.key-name", PublicTlsProvider.NAME);
        properties.put("micronaut.server.ssl.key.password", new String(keyStorePassword));
        properties.put("micronaut.server.ssl.protocols", TlsPolicy.PROTOCOLS);
        properties.put("micronaut.server.ssl.ciphers", TlsPolicy.CIPHER_SUITES);
        properties.put("micronaut.server.ssl.handshake-timeout", "10s");
        properties.put("micronaut.server.dual-protocol", false);
        // The framework itself refuses larger bodies (413) before buffering them.
        properties.put("micronaut.server.max-request-size", ForwardingController.MAX_BODY_BYTES);
        properties.put("micronaut.server.netty.max-header-size", MAX_HEADER_BYTES);
        // Micronaut refuses cross-origin requests to a loopback-bound server. Origin decisions are
        // core's, and the proxy must behave the same on 127.0.0.1 (quickstart) as on a public address.
        properties.put("micronaut.server.cors.localhost-pass-through", true);
        // Slow clients must not hold connections forever: a silent one is cut off after 30 s of
        // silence, one that trickles is cut off by RequestDeadline.
        properties.put("micronaut.server.read-idle-timeout", "30s");
        properties.put("micronaut.server.write-idle-timeout", "30s");
        properties.put("micronaut.server.idle-timeout", "60s");

        ApplicationContext context = ApplicationContext.builder()
                .deduceEnvironment(false)
                .deduceCloudEnvironment(false)
                .banner(false)
                .properties(properties)
                .build();
        context.registerSingleton(Forwarder.class, forwarder);
        context.registerSingleton(RateLimits.class, limits);
        context.registerSingleton(StaticPages.class, pages);
        context.registerSingleton(CertificateProvider.class, new PublicTlsProvider(certificate, keyStorePassword),
                Qualifiers.byName(PublicTlsProvider.NAME));
        try {
            context.start();
            EmbeddedServer server = context.getBean(EmbeddedServer.class);
            ((NettyServerCustomizer.Registry) server).register(new RequestDeadline.Installer(requestDeadline));
            server.start();
            return new PublicHttpServer(context, server);
        } catch (RuntimeException e) {
            context.close();
            throw e;
        }
    }

    /** The bound port (useful when started on port 0). */
    public int port() {
        return server.getPort();
    }

    /** Stops accepting connections at once, lets requests in progress finish (bounded), then stops. */
    @Override
    public void close() {
        if (server.isRunning() && server instanceof GracefulShutdownCapable graceful) {
            try {
                graceful.shutdownGracefully().toCompletableFuture().get(DRAIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                // Whatever is still running is cut off by stop() below.
            }
        }
        if (server.isRunning()) {
            server.stop();
        }
        if (context.isRunning()) {
            context.close();
        }
        if (!PortRelease.await(bound, DRAIN_TIMEOUT)) {
            LOG.warn("port {} still listening {} after stop", bound.getPort(), DRAIN_TIMEOUT);
        }
    }

    private static char[] randomPassword() {
        // Protects an in-memory key store that lives next to the key it protects; it exists because the API wants one.
        byte[] bytes = new byte[18];
        new SecureRandom().nextBytes(bytes);
        return Base64.getEncoder().withoutPadding().encodeToString(bytes).toCharArray();
    }
}
