package dev.portcullis.gateway.acl;

import dev.portcullis.protocol.net.Cidr;
import java.util.List;

/**
 * A validated ACL policy, the gateway's domain form of core's {@code AclPolicy}: what peers may
 * reach through this gateway, everything else being dropped, and which destination networks get
 * their traffic source-NATed to the gateway. Built by {@link AclCompiler#validate}.
 *
 * @param revision                core's revision of the policy, carried into the ruleset's header comment
 * @param rules                   allow rules; order does not change the meaning (all verdicts are accept)
 * @param masqueradeDestinations  normalized destination networks whose traffic from peers is masqueraded
 */
public record FilterPolicy(long revision, List<FilterRule> rules, List<Cidr> masqueradeDestinations) {

    /** Nothing allowed, nothing masqueraded: what the gateway enforces until core's first policy arrives. */
    public static final FilterPolicy DEFAULT_DENY = new FilterPolicy(0, List.of(), List.of());

    public FilterPolicy {
        rules = List.copyOf(rules);
        masqueradeDestinations = Cidr.normalize(masqueradeDestinations);
    }
}
