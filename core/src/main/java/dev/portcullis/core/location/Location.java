package dev.portcullis.core.location;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * An explicit location: where devices get their tunnel address, what they route into the tunnel,
 * the MFA policy of its tunnel sessions and who may reach it.
 *
 * @param name                   as {@link LocationName} allows; also what gateways name in their settings
 * @param addressPool            the network devices get addresses from, canonical CIDR (e.g. 10.8.0.0/24)
 * @param dns                    DNS servers inside the tunnel (IP literals)
 * @param routedNetworks         networks behind the gateways, canonical CIDRs, routed besides the pool
 * @param mfaMethods             second factors accepted for a tunnel session (at least one)
 * @param sessionLifetime        absolute lifetime of a tunnel session
 * @param idleTimeout            a tunnel session without traffic this long ends
 * @param reauthOnEndpointChange a session ends when the device's endpoint changes
 * @param groups                 groups whose members may reach it; empty means every user
 */
public record Location(String name, String addressPool, List<String> dns, List<String> routedNetworks,
                       Set<MfaMethod> mfaMethods, Duration sessionLifetime, Duration idleTimeout,
                       boolean reauthOnEndpointChange, List<String> groups, Instant createdAt) {

    public Location {
        dns = List.copyOf(dns);
        routedNetworks = List.copyOf(routedNetworks);
        mfaMethods = Set.copyOf(mfaMethods);
        groups = List.copyOf(groups);
    }

    /** The one method this location insists on, if it accepts only one. */
    public boolean requiresOnly(MfaMethod method) {
        return mfaMethods.size() == 1 && mfaMethods.contains(method);
    }

    /** What a device routes into the tunnel for this location: the pool, then the routed networks. */
    public List<String> allowedIps() {
        java.util.List<String> ips = new java.util.ArrayList<>();
        ips.add(addressPool);
        for (String network : routedNetworks) {
            if (!ips.contains(network)) {
                ips.add(network);
            }
        }
        return List.copyOf(ips);
    }
}
