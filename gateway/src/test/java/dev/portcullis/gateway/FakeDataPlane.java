package dev.portcullis.gateway;

import dev.portcullis.gateway.acl.FirewallException;
import dev.portcullis.gateway.acl.InvalidAclPolicyException;
import dev.portcullis.gateway.admission.FakeWireGuardDevice;
import dev.portcullis.gateway.settings.TunnelLink;
import dev.portcullis.protocol.wireguard.WireGuardDevice;
import dev.portcullis.protocol.v1.AclPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/** The gateway's data plane in memory: a {@link FakeWireGuardDevice} and a recorded firewall. */
final class FakeDataPlane implements Gateway.DataPlane {

    final FakeWireGuardDevice device = new FakeWireGuardDevice();
    final List<TunnelLink> links = new ArrayList<>();
    final List<AclPolicy> policies = new ArrayList<>();
    boolean filtering;
    long dropped;
    private OptionalLong revision = OptionalLong.empty();

    @Override
    public WireGuardDevice device() {
        return device;
    }

    @Override
    public synchronized void configureLink(TunnelLink link) {
        links.add(link);
    }

    @Override
    public synchronized void ensureFiltering() {
        filtering = true;
    }

    @Override
    public synchronized void applyAcl(AclPolicy policy) throws FirewallException {
        if (policy.getRulesList().stream().anyMatch(rule -> rule.getDestinationsList().contains("not-a-cidr"))) {
            throw new InvalidAclPolicyException("a destination is not a CIDR");
        }
        policies.add(policy);
        revision = OptionalLong.of(policy.getRevision());
    }

    @Override
    public synchronized OptionalLong aclRevision() {
        return revision;
    }

    @Override
    public synchronized long aclDroppedPackets() {
        return dropped;
    }

    @Override
    public void close() {
    }
}
