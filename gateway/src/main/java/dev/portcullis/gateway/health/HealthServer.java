package dev.portcullis.gateway.health;

import dev.portcullis.gateway.settings.GatewaySettingsHolder;
import dev.portcullis.protocol.link.PortRelease;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.graceful.GracefulShutdownCapable;
import io.micronaut.runtime.server.EmbeddedServer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's local health endpoint: plain HTTP, meant for a loopback or management address
 * only. It reports state; it accepts nothing that changes it.
 */
public final class HealthServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HealthServer.class);
    /** Health checks send no body; anything larger than this is not a health check. */
    private static final int MAX_REQUEST_BYTES = 1024;
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(2);

    private final ApplicationContext context;
    private final EmbeddedServer server;
    /** The bound address, to check that stopping really released it. */
    private final InetSocketAddress bound;

    private HealthServer(ApplicationContext context, EmbeddedServer server) {
        this.context = context;
        this.server = server;
        this.bound = new InetSocketAddress(server.getHost(), server.getPort());
    }

    public static HealthServer start(InetSocketAddress listen, LinkStateSource link, GatewaySettingsHolder settings,
                                     DataPlaneStatus dataPlane) {
        ApplicationContext context = ApplicationContext.builder()
                .deduceEnvironment(false)
                .deduceCloudEnvironment(false)
                .banner(false)
                .properties(Map.of(
                        "micronaut.server.host", listen.getAddress().getHostAddress(),
                        // Micronaut spells "any free port" as -1.
                        "micronaut.server.port", listen.getPort() == 0 ? -1 : listen.getPort(),
                        "micronaut.server.max-request-size", MAX_REQUEST_BYTES,
                        "micronaut.server.read-idle-timeout", "10s",
                        "micronaut.server.idle-timeout", "30s"))
                .build();
        context.registerSingleton(LinkStateSource.class, link);
        context.registerSingleton(GatewaySettingsHolder.class, settings);
        context.registerSingleton(DataPlaneStatus.class, dataPlane);
        try {
            context.start();
            EmbeddedServer server = context.getBean(EmbeddedServer.class);
            server.start();
            return new HealthServer(context, server);
        } catch (RuntimeException e) {
            context.close();
            throw e;
        }
    }

    public int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        if (server.isRunning() && server instanceof GracefulShutdownCapable graceful) {
            try {
                graceful.shutdownGracefully().toCompletableFuture().get(DRAIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                // stop() below cuts off whatever is left.
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
}
