package dev.portcullis.gateway.acl;

import dev.portcullis.protocol.v1.AclPolicy;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * The gateway's ACL enforcement for one WireGuard interface: owns the nftables table
 * {@code inet portcullis_<iface>} and replaces it atomically on every policy change.
 * <p>
 * Lifecycle: call {@link #applyDefaultDeny()} before the interface carries traffic (the gateway is
 * fail closed until core's first policy arrives), {@link #apply} for each policy, {@link #remove()}
 * on shutdown if the operator wants the rules gone (leaving them is the fail-closed choice).
 * <p>
 * Thread safety: all methods are {@code synchronized}, so transactions are applied in call order and
 * {@link #appliedRevision()} always names the policy in force.
 */
public final class Firewall {

    private final TunnelInterface tunnel;
    private final Nft nft;

    // Guarded by this: the revision of the last policy nft accepted; empty after remove() or before any apply.
    private OptionalLong appliedRevision = OptionalLong.empty();

    public Firewall(TunnelInterface tunnel, Nft nft) {
        this.tunnel = Objects.requireNonNull(tunnel, "tunnel");
        this.nft = Objects.requireNonNull(nft, "nft");
    }

    public TunnelInterface tunnel() {
        return tunnel;
    }

    /** The nftables table this firewall owns (family {@code inet}). */
    public String tableName() {
        return tunnel.tableName();
    }

    /** Installs the table with no allow rules: everything from the tunnel is dropped and counted. */
    public synchronized void applyDefaultDeny() throws FirewallException {
        load(FilterPolicy.DEFAULT_DENY);
    }

    /**
     * Validates {@code policy} and replaces the table with it in one nft transaction. On any error
     * (an {@link InvalidAclPolicyException} for a rejected policy) the rules in force stay unchanged.
     */
    public synchronized void apply(AclPolicy policy) throws FirewallException {
        load(AclCompiler.validate(policy));
    }

    /** As {@link #apply(AclPolicy)}, for a policy already validated. */
    public synchronized void apply(FilterPolicy policy) throws FirewallException {
        load(policy);
    }

    /** Revision of the policy in force, if this firewall applied one. */
    public synchronized OptionalLong appliedRevision() {
        return appliedRevision;
    }

    /**
     * Packets from the tunnel dropped since the table was first created; policy changes do not reset
     * it (the counter lives in the table, which apply never deletes).
     */
    public synchronized long droppedPackets() throws FirewallException {
        String json = nft.run(null, "-j", "list", "counter", "inet", tunnel.tableName(), AclCompiler.DROP_COUNTER);
        return NftCounterJson.parse(json, "inet", tunnel.tableName(), AclCompiler.DROP_COUNTER).packets();
    }

    /** Deletes the table; a no-op if it does not exist. Traffic from the tunnel is then not filtered. */
    public synchronized void remove() throws FirewallException {
        nft.runScript(AclCompiler.renderRemoval(tunnel));
        appliedRevision = OptionalLong.empty();
    }

    private void load(FilterPolicy policy) throws FirewallException {
        nft.runScript(AclCompiler.render(policy, tunnel));
        appliedRevision = OptionalLong.of(policy.revision());
    }
}
