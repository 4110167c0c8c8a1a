package dev.portcullis.gateway;

import dev.portcullis.gateway.health.HealthServer;
import dev.portcullis.gateway.settings.GatewayConfig;
import dev.portcullis.gateway.settings.GatewaySettingsHolder;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.join.JoinToken;
import dev.portcullis.pki.store.CredentialStore;
import dev.portcullis.protocol.link.ComponentLink;
import dev.portcullis.protocol.link.LinkSettings;
import dev.portcullis.protocol.link.LinkState;
import dev.portcullis.protocol.link.ListenAddress;
import dev.portcullis.protocol.link.ProcessMemory;
import dev.portcullis.protocol.link.TelemetryReporter;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running gateway: the control link core dials and the local health endpoint. (WireGuard, the
 * admitted peer set and the relay come with later issues.) Holds nothing at rest except the
 * link's own credentials.
 */
public final class Gateway implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

    /** Why the gateway stopped. */
    public enum Stop { SHUTDOWN, REVOKED }

    /**
     * @param controlListen  where core dials in (gRPC, mTLS once adopted)
     * @param healthListen   the local health endpoint (plain HTTP)
     * @param stateDirectory this gateway's own credentials
     * @param joinToken      needed only until adopted
     */
    public record Config(InetSocketAddress controlListen, InetSocketAddress healthListen, Path stateDirectory,
                         Optional<JoinToken> joinToken, Clock clock, String softwareVersion) {
        public Config {
            Objects.requireNonNull(controlListen, "controlListen");
            Objects.requireNonNull(healthListen, "healthListen");
            Objects.requireNonNull(stateDirectory, "stateDirectory");
            Objects.requireNonNull(joinToken, "joinToken");
            Objects.requireNonNull(clock, "clock");
            Objects.requireNonNull(softwareVersion, "softwareVersion");
        }
    }

    private final GatewaySettingsHolder settings = new GatewaySettingsHolder();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CompletableFuture<Stop> stopped = new CompletableFuture<>();
    private volatile ComponentLink link;
    private volatile HealthServer health;
    private volatile TelemetryReporter telemetry;

    private Gateway() {
    }

    public static Gateway start(Config config) throws IOException {
        Gateway gateway = new Gateway();
        GatewayControlHandler handler = new GatewayControlHandler(gateway.settings, gateway::coreConnected, gateway::revoked);
        try {
            gateway.link = ComponentLink.start(new LinkSettings(PeerIdentity.Role.GATEWAY, config.controlListen(),
                    new CredentialStore(config.stateDirectory()), config.joinToken(), config.clock(),
                    config.softwareVersion()), handler);
            gateway.health = HealthServer.start(config.healthListen(), gateway.link::state, gateway.settings);
            gateway.telemetry = new TelemetryReporter(gateway.link::send, gateway.link::configVersion,
                    ProcessMemory::residentBytes, config.clock()).start();
        } catch (IOException | RuntimeException e) {
            gateway.close();
            throw e;
        }
        if (!config.healthListen().getAddress().isLoopbackAddress()) {
            LOG.warn("the health endpoint is plain HTTP on {}, which is not a loopback address; keep it on a management network",
                    ListenAddress.format(config.healthListen()));
        }
        LOG.info("gateway {} health endpoint on http://{}/healthz; control link for core on port {}", config.softwareVersion(),
                ListenAddress.format(new InetSocketAddress(config.healthListen().getAddress(), gateway.health.port())),
                gateway.link.port());
        return gateway;
    }

    public int healthPort() {
        return health.port();
    }

    public int controlPort() {
        return link.port();
    }

    public LinkState linkState() {
        return link.state();
    }

    public GatewayConfig settings() {
        return settings.current();
    }

    /** Completes when the gateway has stopped, saying why. */
    public CompletableFuture<Stop> stopped() {
        return stopped;
    }

    @Override
    public void close() {
        stop(Stop.SHUTDOWN);
    }

    private void stop(Stop reason) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        LOG.info(reason == Stop.REVOKED ? "stopping: this gateway was revoked by core" : "stopping");
        closeQuietly(telemetry);
        closeQuietly(health);
        closeQuietly(link);
        stopped.complete(reason);
    }

    private void coreConnected() {
        // Core sees this gateway's memory and version at once rather than after the first interval.
        TelemetryReporter reporter = telemetry;
        if (reporter != null) {
            reporter.reportSoon();
        }
    }

    private void revoked(String reason) {
        // Off the link's thread: closing the link from inside its own callback could wait on itself.
        Thread stopper = new Thread(() -> stop(Stop.REVOKED), "revocation");
        stopper.start();
    }

    private static void closeQuietly(AutoCloseable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (Exception e) {
            LOG.warn("error while stopping {}: {}", closeable.getClass().getSimpleName(), e.toString());
        }
    }
}
