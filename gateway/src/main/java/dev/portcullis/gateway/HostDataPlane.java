package dev.portcullis.gateway;

import dev.portcullis.gateway.acl.Firewall;
import dev.portcullis.gateway.acl.FirewallException;
import dev.portcullis.gateway.acl.InvalidAclPolicyException;
import dev.portcullis.gateway.acl.Nft;
import dev.portcullis.gateway.acl.TunnelInterface;
import dev.portcullis.gateway.settings.TunnelLink;
import dev.portcullis.protocol.wireguard.DeviceException;
import dev.portcullis.protocol.wireguard.WireGuardDevice;
import dev.portcullis.protocol.wireguard.WireGuardInterfaces;
import dev.portcullis.protocol.v1.AclPolicy;
import java.io.IOException;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The data plane on this host: a WireGuard interface (kernel or wireguard-go) and the nftables table in front of it. */
final class HostDataPlane implements Gateway.DataPlane {

    private static final Logger LOG = LoggerFactory.getLogger(HostDataPlane.class);

    private final WireGuardDevice device;
    private final Firewall firewall;

    private HostDataPlane(WireGuardDevice device, Firewall firewall) {
        this.device = device;
        this.firewall = firewall;
    }

    /** Opens (creating if needed) the interface {@code name} with the given implementation. */
    static Gateway.DataPlaneOpener opener(String name, WireGuardInterfaces.Implementation implementation) {
        return () -> {
            TunnelInterface tunnel;
            try {
                tunnel = TunnelInterface.of(name);
            } catch (InvalidAclPolicyException e) {
                throw new IOException("--wg-interface: " + e.getMessage(), e);
            }
            WireGuardDevice device;
            try {
                device = WireGuardInterfaces.open(name, implementation);
            } catch (DeviceException e) {
                throw new IOException("cannot open WireGuard interface " + name + ": " + e.getMessage(), e);
            }
            return new HostDataPlane(device, new Firewall(tunnel, new Nft()));
        };
    }

    @Override
    public WireGuardDevice device() {
        return device;
    }

    @Override
    public void configureLink(TunnelLink link) throws DeviceException {
        WireGuardInterfaces.configureLink(device.name(), link.addresses(), link.mtu());
    }

    @Override
    public void ensureFiltering() throws FirewallException {
        try {
            // Only this gateway writes its table, and every version of it denies by default.
            firewall.droppedPackets();
            LOG.info("keeping the firewall table {} from the previous run until core sends its policy", firewall.tableName());
        } catch (InvalidAclPolicyException e) {
            throw e;
        } catch (FirewallException e) {
            firewall.applyDefaultDeny();
            LOG.info("installed the firewall table {}: everything from the tunnel is dropped until core sends its policy",
                    firewall.tableName());
        }
    }

    @Override
    public void applyAcl(AclPolicy policy) throws FirewallException {
        firewall.apply(policy);
    }

    @Override
    public OptionalLong aclRevision() {
        return firewall.appliedRevision();
    }

    @Override
    public long aclDroppedPackets() throws FirewallException {
        return firewall.droppedPackets();
    }

    @Override
    public void close() {
        device.close();
    }
}
