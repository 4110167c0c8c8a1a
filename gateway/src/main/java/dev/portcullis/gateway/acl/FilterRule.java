package dev.portcullis.gateway.acl;

import dev.portcullis.protocol.net.Cidr;
import java.util.List;
import java.util.Objects;

/**
 * One validated allow rule: peers in {@code sources} may reach {@code destinations} over
 * {@code protocol}, on {@code ports} if given (TCP and UDP only; empty means every port). Lists
 * are normalized ({@link Cidr#normalize}, {@link PortSpan#normalize}) and never empty where that
 * would widen the rule.
 */
public record FilterRule(List<Cidr> sources, List<Cidr> destinations, Protocol protocol, List<PortSpan> ports) {

    /** What the rule matches above IP. ICMP means ICMP for IPv4 and ICMPv6 for IPv6. */
    public enum Protocol {
        ANY, TCP, UDP, ICMP;

        boolean hasPorts() {
            return this == TCP || this == UDP;
        }
    }

    public FilterRule {
        sources = Cidr.normalize(sources);
        destinations = Cidr.normalize(destinations);
        Objects.requireNonNull(protocol, "protocol");
        ports = PortSpan.normalize(ports);
        if (sources.isEmpty() || destinations.isEmpty()) {
            throw new IllegalArgumentException("sources and destinations must not be empty");
        }
        if (!ports.isEmpty() && !protocol.hasPorts()) {
            throw new IllegalArgumentException("ports need protocol TCP or UDP");
        }
    }

    /** The sources of one family, in canonical order. */
    public List<Cidr> sources(Cidr.Family family) {
        return sources.stream().filter(c -> c.family() == family).toList();
    }

    /** The destinations of one family, in canonical order. */
    public List<Cidr> destinations(Cidr.Family family) {
        return destinations.stream().filter(c -> c.family() == family).toList();
    }
}
