package dev.portcullis.gateway;

import com.google.protobuf.ByteString;
import dev.portcullis.gateway.acl.FirewallException;
import dev.portcullis.gateway.acl.InvalidAclPolicyException;
import dev.portcullis.gateway.admission.Admissions;
import dev.portcullis.gateway.settings.GatewayConfig;
import dev.portcullis.gateway.settings.GatewaySettingsHolder;
import dev.portcullis.gateway.settings.TunnelLink;
import dev.portcullis.protocol.wireguard.DeviceException;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import dev.portcullis.protocol.link.ComponentHandler;
import dev.portcullis.protocol.v1.AclPolicy;
import dev.portcullis.protocol.v1.ComponentConfig;
import dev.portcullis.protocol.v1.ConfigUpdate;
import dev.portcullis.protocol.v1.GatewaySettings;
import dev.portcullis.protocol.v1.Hello;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the gateway does with what core sends. Called on the link's thread, one call at a time;
 * every apply returns only once the interface, the firewall and the admitted peers reflect it,
 * because the link acknowledges to core as soon as it returns (and core hands a device its
 * preshared key only after that acknowledgement). The link logs adoption, connection,
 * configuration and revocation itself, once each.
 */
final class GatewayControlHandler implements ComponentHandler {

    private static final Logger LOG = LoggerFactory.getLogger(GatewayControlHandler.class);

    private final GatewaySettingsHolder settings;
    private final Gateway.DataPlane dataPlane;
    private final Admissions admissions;
    private final WireGuardPublicKey publicKey;
    private final int listenPort;
    private final Runnable onConnected;
    private final Consumer<String> onRevoked;
    /** Only touched on the link's thread. The interface settings last applied, to leave them alone when unchanged. */
    private TunnelLink appliedLink;

    /**
     * @param publicKey  the gateway's WireGuard public key, sent in Hello
     * @param listenPort the interface's UDP port, sent in Hello
     */
    GatewayControlHandler(GatewaySettingsHolder settings, Gateway.DataPlane dataPlane, Admissions admissions,
                          WireGuardPublicKey publicKey, int listenPort, Runnable onConnected, Consumer<String> onRevoked) {
        this.settings = settings;
        this.dataPlane = dataPlane;
        this.admissions = admissions;
        this.publicKey = publicKey;
        this.listenPort = listenPort;
        this.onConnected = onConnected;
        this.onRevoked = onRevoked;
    }

    /**
     * Core's full configuration: everything is validated before anything changes; then the
     * interface settings, the ACL, and the peers (reconciled to core's list) are applied, in that
     * order, and the settings are installed last.
     */
    @Override
    public void applyConfig(ComponentConfig config) throws ConfigRejectedException {
        if (config.getKindCase() != ComponentConfig.KindCase.GATEWAY) {
            throw new ConfigRejectedException("configuration is not for a gateway");
        }
        GatewaySettings gateway = config.getGateway();
        GatewayConfig.fromProto(config.getVersion(), gateway);
        TunnelLink link = TunnelLink.fromProto(gateway.getWireguard());
        applyLink(link);
        applyAcl(gateway.getAcl());
        Admissions.Reconciliation reconciled = admissions.applySnapshot(gateway.getPeersList());
        settings.applyConfig(config);
        LOG.info("peers reconciled to core's configuration {}: {} added, {} updated, {} removed, {} untouched",
                config.getVersion(), reconciled.added(), reconciled.updated(), reconciled.removed(), reconciled.unchanged());
    }

    @Override
    public void applyUpdate(ConfigUpdate update) throws ConfigRejectedException {
        switch (update.getChangeCase()) {
            case GATEWAY -> {
                GatewayConfig.fromProto(update.getVersion(), update.getGateway());
                applyLink(TunnelLink.fromProto(update.getGateway().getWireguard()));
            }
            case ADMIT -> admissions.admit(update.getAdmit());
            case EVICT -> admissions.evict(update.getEvict());
            case ACL -> applyAcl(update.getAcl());
            default -> {
                // Nothing to apply here; the settings holder moves the version or refuses.
            }
        }
        settings.applyUpdate(update);
    }

    private void applyLink(TunnelLink link) throws ConfigRejectedException {
        if (link.equals(appliedLink)) {
            return;
        }
        try {
            dataPlane.configureLink(link);
        } catch (DeviceException e) {
            LOG.error("could not set the interface addresses and MTU: {}", e.getMessage(), e);
            throw new ConfigRejectedException("the gateway could not set its WireGuard interface's addresses and MTU");
        }
        appliedLink = link;
    }

    private void applyAcl(AclPolicy policy) throws ConfigRejectedException {
        try {
            dataPlane.applyAcl(policy);
        } catch (InvalidAclPolicyException e) {
            throw new ConfigRejectedException("ACL policy revision " + policy.getRevision() + " refused: " + e.getMessage());
        } catch (FirewallException e) {
            LOG.error("could not apply ACL policy revision {}: {}", policy.getRevision(), e.getMessage(), e);
            throw new ConfigRejectedException("the gateway could not apply ACL policy revision " + policy.getRevision());
        }
    }

    @Override
    public void describe(Hello.Builder hello) {
        hello.setWireguardPublicKey(ByteString.copyFrom(publicKey.bytes())).setWireguardListenPort(listenPort);
    }

    @Override
    public void onCoreConnected() {
        onConnected.run();
    }

    @Override
    public void onRevoked(String reason) {
        onRevoked.accept(reason);
    }
}
