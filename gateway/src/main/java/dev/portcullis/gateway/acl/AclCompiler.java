package dev.portcullis.gateway.acl;

import dev.portcullis.protocol.net.Cidr;
import dev.portcullis.protocol.v1.AclPolicy;
import dev.portcullis.protocol.v1.AclRule;
import dev.portcullis.protocol.v1.PortRange;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Turns core's {@link AclPolicy} into the nftables transaction that replaces the gateway's table,
 * in two steps that are testable alone:
 * <ol>
 *   <li>{@link #validate}: every field checked against a strict grammar and the limits below,
 *       mapped to {@link FilterPolicy}. Nothing from the policy is carried as text: CIDRs and ports
 *       are re-rendered from parsed values, so no input can reach nft's parser.</li>
 *   <li>{@link #render}: the validated policy written as one nft script.</li>
 * </ol>
 *
 * <h2>The ruleset</h2>
 * One table, {@code inet portcullis_<iface>}, owned entirely by the gateway:
 * <ul>
 *   <li>{@code counter dropped}: every packet dropped because it came from the tunnel and was not
 *       allowed. It survives policy changes (see {@link #render}).</li>
 *   <li>{@code chain forward} (hook forward, priority filter): traffic not entering from the tunnel
 *       interface is not this table's business. From the tunnel: replies of connections opened
 *       towards a peer and ICMP errors about tracked connections are accepted; conntrack-invalid
 *       packets are dropped; then the allow rules; then count and drop. Packets in the original
 *       direction are checked against the rules <em>every time</em>, not only when a connection
 *       starts, so revoking a rule cuts connections that are already open.</li>
 *   <li>{@code chain input} (hook input, priority filter): peers may not reach the gateway itself,
 *       whatever the policy says (its control and health ports are not for peers; echo to the
 *       tunnel address is denied too: a peer checks reachability against a destination it is
 *       allowed to reach). Only replies to connections the gateway opened and related ICMP errors
 *       (path MTU) are accepted.</li>
 *   <li>{@code chain postrouting} (hook postrouting, priority srcnat): masquerade traffic from the
 *       tunnel to the configured destination networks. Always present, possibly empty, so that
 *       every transaction has the same shape.</li>
 * </ul>
 * The chains use {@code policy accept} because the table must not decide for traffic that does
 * not come from the tunnel; the default deny is the final counted drop for tunnel traffic. Other
 * tables on the host still see every packet we accept (an accept verdict is final only per base
 * chain), so a host firewall can restrict further but cannot be loosened by this table. Traffic
 * entering from other interfaces towards peers is likewise left to the host: WireGuard's allowed IPs
 * and the routing decide whether it reaches a peer; peer-to-peer traffic through the gateway enters
 * from the tunnel and is filtered here.
 */
public final class AclCompiler {

    /**
     * Allow rules per policy. Two costs grow with it: packets from peers walk the forward chain rule
     * by rule (the sets inside a rule are lookups, the rules are not), and nft 1.0.x loads anonymous
     * sets in time that grows quadratically with their number. Measured worst case at this limit
     * (every rule with both families and three sets each, about 3,000 sets): 1 s to load, 2.2 s to
     * replace, against 10 s to replace at twice the limit. Real policies compiled for one gateway
     * have tens of rules; a larger one must be aggregated by core.
     */
    public static final int MAX_RULES = 512;

    /** Source CIDRs, and separately destination CIDRs, per rule: bounds one set (a lookup, not a walk). */
    public static final int MAX_CIDRS_PER_RULE = 1_024;

    /** Port ranges per rule: more than this is a policy that should have been "every port". */
    public static final int MAX_PORT_RANGES_PER_RULE = 256;

    /** Masqueraded destination networks: the networks directly behind one gateway. */
    public static final int MAX_MASQUERADE_DESTINATIONS = 256;

    /**
     * CIDRs and port ranges in the whole policy. Bounds the script text (at most a few MB) and the
     * time nft and the kernel take to load it, so an apply ends well inside {@link Nft}'s timeout.
     */
    public static final int MAX_TOTAL_ELEMENTS = 65_536;

    /** The named counter of drops; {@link Firewall#droppedPackets()} reads it. */
    static final String DROP_COUNTER = "dropped";

    // Every chain accepts by default: only traffic from the tunnel is this table's to judge (see above).
    private static final String FORWARD_HOOK = "type filter hook forward priority filter; policy accept;";
    private static final String INPUT_HOOK = "type filter hook input priority filter; policy accept;";
    private static final String POSTROUTING_HOOK = "type nat hook postrouting priority srcnat; policy accept;";

    private AclCompiler() {
    }

    /** Both steps: the nft script that replaces the table for {@code tunnel} with {@code policy}. */
    public static String compile(AclPolicy policy, TunnelInterface tunnel) throws InvalidAclPolicyException {
        return render(validate(policy), tunnel);
    }

    /** Step 1: checks every field and limit; the message of a rejection names the field by position. */
    public static FilterPolicy validate(AclPolicy policy) throws InvalidAclPolicyException {
        checkCount("rules", policy.getRulesCount(), MAX_RULES);
        checkCount("masquerade_destinations", policy.getMasqueradeDestinationsCount(), MAX_MASQUERADE_DESTINATIONS);
        long elements = policy.getMasqueradeDestinationsCount();
        for (AclRule rule : policy.getRulesList()) {
            elements += (long) rule.getSourcesCount() + rule.getDestinationsCount() + rule.getPortsCount();
        }
        if (elements > MAX_TOTAL_ELEMENTS) {
            throw new InvalidAclPolicyException("policy has more than " + MAX_TOTAL_ELEMENTS + " CIDRs and port ranges");
        }
        List<FilterRule> rules = new ArrayList<>(policy.getRulesCount());
        for (int i = 0; i < policy.getRulesCount(); i++) {
            rules.add(validateRule("rules[" + i + "]", policy.getRules(i)));
        }
        List<Cidr> masquerade = parseCidrs("masquerade_destinations", policy.getMasqueradeDestinationsList());
        return new FilterPolicy(policy.getRevision(), rules, masquerade);
    }

    private static FilterRule validateRule(String where, AclRule rule) throws InvalidAclPolicyException {
        checkCount(where + ".sources", rule.getSourcesCount(), MAX_CIDRS_PER_RULE);
        checkCount(where + ".destinations", rule.getDestinationsCount(), MAX_CIDRS_PER_RULE);
        checkCount(where + ".ports", rule.getPortsCount(), MAX_PORT_RANGES_PER_RULE);
        // An empty list meaning "everything" is how allow rules fail open; core must say 0.0.0.0/0 and ::/0.
        if (rule.getSourcesCount() == 0) {
            throw new InvalidAclPolicyException(where + ".sources: must not be empty (use 0.0.0.0/0 and ::/0 for every peer)");
        }
        if (rule.getDestinationsCount() == 0) {
            throw new InvalidAclPolicyException(where + ".destinations: must not be empty (use 0.0.0.0/0 and ::/0 for everywhere)");
        }
        List<Cidr> sources = parseCidrs(where + ".sources", rule.getSourcesList());
        List<Cidr> destinations = parseCidrs(where + ".destinations", rule.getDestinationsList());
        FilterRule.Protocol protocol = switch (rule.getProtocolValue()) {
            case 0 -> FilterRule.Protocol.ANY;
            case 1 -> FilterRule.Protocol.TCP;
            case 2 -> FilterRule.Protocol.UDP;
            case 3 -> FilterRule.Protocol.ICMP;
            default -> throw new InvalidAclPolicyException(where + ".protocol: unknown protocol");
        };
        if (rule.getPortsCount() > 0 && !protocol.hasPorts()) {
            throw new InvalidAclPolicyException(where + ".ports: ports need protocol TCP or UDP");
        }
        List<PortSpan> ports = new ArrayList<>(rule.getPortsCount());
        for (int i = 0; i < rule.getPortsCount(); i++) {
            PortRange range = rule.getPorts(i);
            // uint32 arrives as a signed int: compare unsigned so 4294967295 is not read as -1.
            long first = Integer.toUnsignedLong(range.getFirst());
            long last = Integer.toUnsignedLong(range.getLast());
            if (first < PortSpan.MIN_PORT || last > PortSpan.MAX_PORT || first > last) {
                throw new InvalidAclPolicyException(where + ".ports[" + i + "]: ports must satisfy "
                        + PortSpan.MIN_PORT + " <= first <= last <= " + PortSpan.MAX_PORT);
            }
            ports.add(new PortSpan((int) first, (int) last));
        }
        boolean sharedFamily = sources.stream().anyMatch(s -> destinations.stream().anyMatch(d -> d.family() == s.family()));
        if (!sharedFamily) {
            throw new InvalidAclPolicyException(where + ": sources and destinations have no address family in common, "
                    + "so the rule could never match");
        }
        return new FilterRule(sources, destinations, protocol, ports);
    }

    private static List<Cidr> parseCidrs(String where, List<String> texts) throws InvalidAclPolicyException {
        List<Cidr> cidrs = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            try {
                cidrs.add(Cidr.parseNetwork(texts.get(i)));
            } catch (IllegalArgumentException e) {
                // Cidr's messages never contain the input, so this one is safe to show and log.
                throw new InvalidAclPolicyException(where + "[" + i + "]: " + e.getMessage());
            }
        }
        return cidrs;
    }

    private static void checkCount(String where, int count, int max) throws InvalidAclPolicyException {
        if (count > max) {
            throw new InvalidAclPolicyException(where + ": more than " + max + " entries");
        }
    }

    /**
     * Step 2: the nft script. It is one transaction: nft applies all of it or none of it, and
     * packets see either the old table or the new one, never a mix and never no table.
     * <p>
     * The script first declares the table, counter and chains (a no-op when they exist, which
     * keeps the counter's value), then deletes the three chains with their rules and declares them
     * again with the new rules. The table itself is never deleted, so the drop counter is monotonic
     * across policy changes, as an operator's rate graphs expect.
     */
    public static String render(FilterPolicy policy, TunnelInterface tunnel) {
        String table = "inet " + tunnel.tableName();
        String iif = '"' + tunnel.name() + '"';
        StringBuilder nft = new StringBuilder();
        nft.append("# Portcullis ACL for tunnel interface ").append(tunnel.name()).append(", policy revision ")
                .append(Long.toUnsignedString(policy.revision())).append(". Generated by the gateway; do not edit.\n");
        nft.append("table ").append(table).append(" {\n");
        nft.append("\tcounter ").append(DROP_COUNTER).append(" {\n\t}\n");
        nft.append("\tchain forward {\n\t\t").append(FORWARD_HOOK).append("\n\t}\n");
        nft.append("\tchain input {\n\t\t").append(INPUT_HOOK).append("\n\t}\n");
        nft.append("\tchain postrouting {\n\t\t").append(POSTROUTING_HOOK).append("\n\t}\n");
        nft.append("}\n");
        for (String chain : List.of("forward", "input", "postrouting")) {
            nft.append("delete chain ").append(table).append(' ').append(chain).append('\n');
        }
        String drop = "counter name \"" + DROP_COUNTER + "\" drop";
        nft.append("table ").append(table).append(" {\n");

        nft.append("\tchain forward {\n");
        line(nft, FORWARD_HOOK);
        line(nft, "iifname != " + iif + " accept");
        line(nft, "ct state established ct direction reply accept");
        line(nft, "ct state related meta l4proto { icmp, ipv6-icmp } accept");
        line(nft, "ct state invalid " + drop);
        for (int i = 0; i < policy.rules().size(); i++) {
            FilterRule rule = policy.rules().get(i);
            for (Cidr.Family family : Cidr.Family.values()) {
                List<Cidr> sources = rule.sources(family);
                List<Cidr> destinations = rule.destinations(family);
                if (sources.isEmpty() || destinations.isEmpty()) {
                    continue;
                }
                String ip = family == Cidr.Family.IPV4 ? "ip" : "ip6";
                line(nft, ip + " saddr " + set(sources) + " " + ip + " daddr " + set(destinations)
                        + protocolMatch(rule, family) + " accept comment \"rule " + i + "\"");
            }
        }
        line(nft, drop);
        nft.append("\t}\n");

        nft.append("\tchain input {\n");
        line(nft, INPUT_HOOK);
        line(nft, "iifname != " + iif + " accept");
        line(nft, "ct state established ct direction reply accept");
        line(nft, "ct state related meta l4proto { icmp, ipv6-icmp } accept");
        line(nft, drop);
        nft.append("\t}\n");

        nft.append("\tchain postrouting {\n");
        line(nft, POSTROUTING_HOOK);
        for (Cidr.Family family : Cidr.Family.values()) {
            List<Cidr> destinations = policy.masqueradeDestinations().stream().filter(c -> c.family() == family).toList();
            if (!destinations.isEmpty()) {
                String ip = family == Cidr.Family.IPV4 ? "ip" : "ip6";
                line(nft, "iifname " + iif + " " + ip + " daddr " + set(destinations) + " masquerade");
            }
        }
        nft.append("\t}\n");
        nft.append("}\n");
        return nft.toString();
    }

    /** The script that removes the table if it exists (declaring it first makes the delete never fail). */
    static String renderRemoval(TunnelInterface tunnel) {
        String table = "inet " + tunnel.tableName();
        return "table " + table + " {\n}\ndelete table " + table + "\n";
    }

    private static String protocolMatch(FilterRule rule, Cidr.Family family) {
        return switch (rule.protocol()) {
            case ANY -> "";
            case ICMP -> family == Cidr.Family.IPV4 ? " meta l4proto icmp" : " meta l4proto ipv6-icmp";
            case TCP, UDP -> {
                String name = rule.protocol() == FilterRule.Protocol.TCP ? "tcp" : "udp";
                yield rule.ports().isEmpty() ? " meta l4proto " + name : " " + name + " dport " + set(rule.ports());
            }
        };
    }

    /** One value as itself, several as an anonymous set. Values are rendered from parsed numbers only. */
    private static String set(List<?> values) {
        return values.size() == 1 ? values.get(0).toString()
                : values.stream().map(Object::toString).collect(Collectors.joining(", ", "{ ", " }"));
    }

    private static void line(StringBuilder nft, String text) {
        nft.append("\t\t").append(text).append('\n');
    }
}
