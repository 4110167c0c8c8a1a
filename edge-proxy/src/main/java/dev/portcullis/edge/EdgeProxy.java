package dev.portcullis.edge;

import dev.portcullis.edge.forward.Forwarder;
import dev.portcullis.edge.forward.LinkCoreChannel;
import dev.portcullis.edge.http.PublicHttpServer;
import dev.portcullis.edge.ratelimit.RateLimiter;
import dev.portcullis.edge.ratelimit.RateLimits;
import dev.portcullis.edge.settings.EdgeSettings;
import dev.portcullis.edge.settings.EdgeSettingsHolder;
import dev.portcullis.edge.tls.PublicCertificate;
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
 * A running edge-proxy: the control link core dials, the public HTTPS server, and what connects
 * them. Holds nothing at rest except its own keys and certificates in the state directory (the
 * link's credentials and, when the operator gave none, the self-signed public certificate).
 */
public final class EdgeProxy implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EdgeProxy.class);

    /** Why the proxy stopped. */
    public enum Stop { SHUTDOWN, REVOKED }

    /**
     * @param controlListen     where core dials in (gRPC, mTLS once adopted)
     * @param publicListen      where users connect (HTTPS)
     * @param stateDirectory    this proxy's own credentials
     * @param joinToken         needed only until adopted
     * @param publicCertificate what users' clients see
     */
    public record Config(InetSocketAddress controlListen, InetSocketAddress publicListen, Path stateDirectory,
                         Optional<JoinToken> joinToken, PublicCertificate publicCertificate, Clock clock,
                         String softwareVersion) {
        public Config {
            Objects.requireNonNull(controlListen, "controlListen");
            Objects.requireNonNull(publicListen, "publicListen");
            Objects.requireNonNull(stateDirectory, "stateDirectory");
            Objects.requireNonNull(joinToken, "joinToken");
            Objects.requireNonNull(publicCertificate, "publicCertificate");
            Objects.requireNonNull(clock, "clock");
            Objects.requireNonNull(softwareVersion, "softwareVersion");
        }
    }

    private final Forwarder forwarder;
    private final EdgeSettingsHolder settings;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CompletableFuture<Stop> stopped = new CompletableFuture<>();
    private volatile ComponentLink link;
    private volatile PublicHttpServer server;
    private volatile TelemetryReporter telemetry;

    private EdgeProxy(Forwarder forwarder, EdgeSettingsHolder settings) {
        this.forwarder = forwarder;
        this.settings = settings;
    }

    public static EdgeProxy start(Config config) throws IOException {
        RateLimiter limiter = new RateLimiter(EdgeSettings.DEFAULT_REQUESTS_PER_MINUTE);
        EdgeSettingsHolder settings = new EdgeSettingsHolder(applied -> limiter.setRequestsPerMinute(applied.requestsPerMinutePerAddress()));
        LinkCoreChannel channel = new LinkCoreChannel();
        Forwarder forwarder = new Forwarder(channel);
        EdgeProxy proxy = new EdgeProxy(forwarder, settings);
        EdgeControlHandler handler = new EdgeControlHandler(settings, forwarder, config.publicCertificate().trustAnchorPin(),
                proxy::coreConnected, proxy::revoked);
        try {
            proxy.link = ComponentLink.start(new LinkSettings(PeerIdentity.Role.EDGE_PROXY, config.controlListen(),
                    new CredentialStore(config.stateDirectory()), config.joinToken(), config.clock(),
                    config.softwareVersion()), handler);
            channel.attach(proxy.link);
            proxy.server = PublicHttpServer.start(config.publicListen(), config.publicCertificate(), forwarder,
                    RateLimits.withApi(limiter));
            proxy.telemetry = new TelemetryReporter(proxy.link::send, proxy.link::configVersion,
                    ProcessMemory::residentBytes, config.clock()).start();
        } catch (IOException | RuntimeException e) {
            proxy.close();
            throw e;
        }
        LOG.info("edge-proxy {} serving HTTPS on {}; control link for core on port {}", config.softwareVersion(),
                ListenAddress.format(new InetSocketAddress(config.publicListen().getAddress(), proxy.server.port())),
                proxy.link.port());
        return proxy;
    }

    /** Port of the public HTTPS server. */
    public int publicPort() {
        return server.port();
    }

    /** Port core dials. */
    public int controlPort() {
        return link.port();
    }

    /** Where the control link stands (setup, waiting for core, connected...). */
    public LinkState linkState() {
        return link.state();
    }

    public EdgeSettings settings() {
        return settings.current();
    }

    /** Completes when the proxy has stopped, saying why. */
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
        LOG.info(reason == Stop.REVOKED ? "stopping: this edge-proxy was revoked by core" : "stopping");
        closeQuietly(telemetry);
        closeQuietly(server);
        forwarder.coreDisconnected();
        closeQuietly(link);
        stopped.complete(reason);
    }

    private void coreConnected() {
        // Core sees this proxy's memory and version at once rather than after the first interval.
        TelemetryReporter reporter = telemetry;
        if (reporter != null) {
            reporter.reportSoon();
        }
    }

    private void revoked(String reason) {
        // Off the link's thread: closing the link from inside its own callback could wait on itself.
        Thread stopper = new Thread(() -> stop(Stop.REVOKED), "revocation");
        stopper.setDaemon(false);
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
