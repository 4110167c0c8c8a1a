package dev.portcullis.gateway;

import dev.portcullis.gateway.acl.FirewallException;
import dev.portcullis.gateway.admission.AdmissionStateFile;
import dev.portcullis.gateway.admission.Admissions;
import dev.portcullis.gateway.admission.PeerTelemetry;
import dev.portcullis.gateway.health.DataPlaneStatus;
import dev.portcullis.gateway.health.HealthServer;
import dev.portcullis.gateway.settings.GatewayConfig;
import dev.portcullis.gateway.settings.GatewaySettingsHolder;
import dev.portcullis.gateway.settings.TunnelLink;
import dev.portcullis.protocol.wireguard.DeviceException;
import dev.portcullis.gateway.wireguard.GatewayWireGuardKey;
import dev.portcullis.protocol.wireguard.WireGuardDevice;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.join.JoinToken;
import dev.portcullis.pki.store.CredentialStore;
import dev.portcullis.pki.wireguard.WireGuardPrivateKey;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import dev.portcullis.protocol.link.ComponentLink;
import dev.portcullis.protocol.link.LinkSettings;
import dev.portcullis.protocol.link.LinkState;
import dev.portcullis.protocol.link.ListenAddress;
import dev.portcullis.protocol.link.ProcessMemory;
import dev.portcullis.protocol.v1.AclPolicy;
import dev.portcullis.protocol.v1.ComponentMessage;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running gateway: its WireGuard interface and firewall (the data plane), the peers core
 * admitted to it, the control link core dials, telemetry, and the local health endpoint. At rest
 * it keeps its link credentials, its WireGuard private key and the list of admitted peers' public
 * keys with their not_after (never a preshared key) in the state directory.
 */
public final class Gateway implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

    /** Why the gateway stopped. */
    public enum Stop { SHUTDOWN, REVOKED }

    /**
     * What the gateway drives on its host: the WireGuard interface and the packet filter in front of
     * it. The real one is {@link HostDataPlane}; tests give one with an in-memory device and filter.
     */
    public interface DataPlane extends AutoCloseable {

        /** The interface's peer control. */
        WireGuardDevice device();

        /** Sets the interface's own tunnel addresses and MTU and brings it up. */
        void configureLink(TunnelLink link) throws DeviceException;

        /**
         * Makes sure traffic from the tunnel is filtered before it flows: installs the default deny,
         * unless this gateway's own table is already in force (left by the previous run, holding
         * core's last policy), which is kept so sessions that outlive a restart keep flowing.
         */
        void ensureFiltering() throws FirewallException;

        /** Replaces the ACL atomically; on any error the rules in force stay. */
        void applyAcl(AclPolicy policy) throws FirewallException;

        /** Revision of the policy this process applied; empty before core's first. */
        OptionalLong aclRevision();

        /** Packets from the tunnel the ACL dropped. */
        long aclDroppedPackets() throws FirewallException;

        /** Releases the device connection. Leaves the interface, its peers and the firewall in place. */
        @Override
        void close();
    }

    /** Opens the data plane (creating the interface if needed). */
    @FunctionalInterface
    public interface DataPlaneOpener {
        DataPlane open() throws IOException;
    }

    /**
     * @param controlListen       where core dials in (gRPC, mTLS once adopted)
     * @param healthListen        the local health endpoint (plain HTTP)
     * @param stateDirectory      this gateway's own credentials, WireGuard key and admission list
     * @param joinToken           needed only until adopted
     * @param wireguardListenPort the WireGuard interface's UDP port
     * @param dataPlane           opens the WireGuard interface and firewall
     */
    public record Config(InetSocketAddress controlListen, InetSocketAddress healthListen, Path stateDirectory,
                         Optional<JoinToken> joinToken, Clock clock, String softwareVersion, int wireguardListenPort,
                         DataPlaneOpener dataPlane) {
        public Config {
            Objects.requireNonNull(controlListen, "controlListen");
            Objects.requireNonNull(healthListen, "healthListen");
            Objects.requireNonNull(stateDirectory, "stateDirectory");
            Objects.requireNonNull(joinToken, "joinToken");
            Objects.requireNonNull(clock, "clock");
            Objects.requireNonNull(softwareVersion, "softwareVersion");
            Objects.requireNonNull(dataPlane, "dataPlane");
            if (wireguardListenPort < 1 || wireguardListenPort > 65_535) {
                throw new IllegalArgumentException("the WireGuard listen port must be between 1 and 65535");
            }
        }
    }

    private final GatewaySettingsHolder settings = new GatewaySettingsHolder();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CompletableFuture<Stop> stopped = new CompletableFuture<>();
    private volatile DataPlane dataPlane;
    private volatile Admissions admissions;
    private volatile ComponentLink link;
    private volatile HealthServer health;
    private volatile PeerTelemetry telemetry;

    private Gateway() {
    }

    /**
     * Brings the gateway up in the order that keeps it fail closed: WireGuard key, interface,
     * firewall, then the admitted peers restored (expired and unknown ones evicted before core
     * connects), and only then the control link, health endpoint and telemetry.
     */
    public static Gateway start(Config config) throws IOException {
        Gateway gateway = new Gateway();
        try {
            WireGuardPrivateKey key = GatewayWireGuardKey.loadOrCreate(config.stateDirectory());
            gateway.dataPlane = config.dataPlane().open();
            WireGuardDevice device = gateway.dataPlane.device();
            configureInterface(device, key, config.wireguardListenPort());
            gateway.dataPlane.ensureFiltering();
            gateway.admissions = Admissions.start(device, new AdmissionStateFile(config.stateDirectory()), config.clock());
            gateway.telemetry = new PeerTelemetry(gateway.admissions, gateway::aclDroppedPackets, gateway::send,
                    gateway::configVersion, ProcessMemory::residentBytes, config.clock());
            GatewayControlHandler handler = new GatewayControlHandler(gateway.settings, gateway.dataPlane, gateway.admissions,
                    key.publicKey(), config.wireguardListenPort(), gateway::coreConnected, gateway::revoked);
            gateway.link = ComponentLink.start(new LinkSettings(PeerIdentity.Role.GATEWAY, config.controlListen(),
                    new CredentialStore(config.stateDirectory()), config.joinToken(), config.clock(),
                    config.softwareVersion()), handler);
            gateway.health = HealthServer.start(config.healthListen(), gateway.link::state, gateway.settings,
                    gateway.status());
            gateway.telemetry.start();
            LOG.info("WireGuard interface {} listening on UDP port {} with public key {}", device.name(),
                    config.wireguardListenPort(), key.publicKey());
        } catch (DeviceException e) {
            gateway.close();
            throw new IOException("the WireGuard interface is not usable: " + e.getMessage(), e);
        } catch (FirewallException e) {
            gateway.close();
            throw new IOException("cannot install the firewall: " + e.getMessage(), e);
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

    /** Sets the key and port only if the device differs, so a restart does not rebind a socket sessions use. */
    private static void configureInterface(WireGuardDevice device, WireGuardPrivateKey key, int listenPort)
            throws DeviceException {
        WireGuardDevice.DeviceInfo info = device.info();
        WireGuardPublicKey publicKey = key.publicKey();
        if (!info.publicKey().equals(java.util.Optional.of(publicKey)) || info.listenPort() != listenPort) {
            device.configure(key, listenPort);
        }
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

    /** The admitted peers. */
    public Admissions admissions() {
        return admissions;
    }

    /** Completes when the gateway has stopped, saying why. */
    public CompletableFuture<Stop> stopped() {
        return stopped;
    }

    @Override
    public void close() {
        stop(Stop.SHUTDOWN);
    }

    /**
     * Stops serving core. On shutdown the interface keeps its peers and the firewall its rules (the
     * next start restores and expires them); when revoked, every peer is removed first.
     */
    private void stop(Stop reason) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        LOG.info(reason == Stop.REVOKED ? "stopping: this gateway was revoked by core" : "stopping");
        closeQuietly(telemetry);
        closeQuietly(health);
        closeQuietly(link);
        Admissions peers = admissions;
        if (reason == Stop.REVOKED && peers != null) {
            try {
                peers.evictAll();
                LOG.info("removed every peer from the WireGuard interface");
            } catch (DeviceException | RuntimeException e) {
                LOG.error("revoked, but could not remove the peers from the WireGuard interface: {}", e.getMessage());
            }
        }
        closeQuietly(peers);
        closeQuietly(dataPlane);
        stopped.complete(reason);
    }

    private boolean send(ComponentMessage message) {
        ComponentLink current = link;
        return current != null && current.send(message);
    }

    private long configVersion() {
        ComponentLink current = link;
        return current == null ? 0 : current.configVersion();
    }

    private long aclDroppedPackets() {
        try {
            return dataPlane.aclDroppedPackets();
        } catch (FirewallException e) {
            LOG.debug("cannot read the ACL drop counter: {}", e.getMessage());
            return 0;
        }
    }

    private DataPlaneStatus status() {
        return new DataPlaneStatus() {
            @Override
            public int peerCount() {
                return admissions.peerCount();
            }

            @Override
            public OptionalLong aclRevision() {
                return dataPlane.aclRevision();
            }
        };
    }

    private void coreConnected() {
        // Core sees this gateway's peers, evictions and memory at once rather than after the first interval.
        PeerTelemetry reporter = telemetry;
        if (reporter != null) {
            reporter.streamOpened();
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
