package dev.portcullis.core.location;

import dev.portcullis.core.error.BadRequestException;
import dev.portcullis.protocol.v1.AclPolicy;
import dev.portcullis.protocol.v1.AclProtocol;
import dev.portcullis.protocol.v1.AclRule;
import dev.portcullis.protocol.v1.PortRange;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A location's ACL as admins write it (admin API, {@code acl set --file}) and as gateways get it.
 * {@link #parse} checks every rule and builds the wire policy (default deny: only what a rule
 * allows passes); {@link #render} turns a stored policy back into text. Core validates here so a
 * bad policy is refused with a clear 400 before any gateway sees it.
 */
public final class AclText {

    /** Thousands of rules are a sign of a policy generated wrong; each one becomes nftables rules on every gateway. */
    public static final int MAX_RULES = 1_000;
    /** Sources or destinations per rule: enough for real network lists, bounded so one rule cannot blow up a set. */
    public static final int MAX_CIDRS_PER_LIST = 256;
    /** Port ranges per rule; more than this belongs in several rules or a wider range. */
    public static final int MAX_PORT_RANGES = 64;
    /** Networks behind the gateway to masquerade towards. */
    public static final int MAX_MASQUERADE_DESTINATIONS = 64;
    private static final Pattern PORTS = Pattern.compile("(\\d{1,5})(?:-(\\d{1,5}))?");

    private AclText() {
    }

    /**
     * One rule in text form.
     *
     * @param sources      tunnel CIDRs of the peers the rule applies to
     * @param destinations CIDRs they may reach
     * @param protocol     {@code any} (default), {@code tcp}, {@code udp} or {@code icmp}
     * @param ports        {@code "443"} or {@code "8000-8080"}; only with tcp or udp; empty = every port
     */
    public record Rule(List<String> sources, List<String> destinations, String protocol, List<String> ports) {
        public Rule {
            sources = sources == null ? List.of() : sources;
            destinations = destinations == null ? List.of() : destinations;
            protocol = protocol == null ? "any" : protocol;
            ports = ports == null ? List.of() : ports;
        }
    }

    /** Step by step: bound the counts, then every rule (CIDRs, protocol, ports), then the masquerade list. */
    public static AclPolicy parse(List<Rule> rules, List<String> masqueradeDestinations) {
        List<Rule> given = rules == null ? List.of() : rules;
        List<String> masquerade = masqueradeDestinations == null ? List.of() : masqueradeDestinations;
        if (given.size() > MAX_RULES) {
            throw new BadRequestException("a policy has at most " + MAX_RULES + " rules");
        }
        AclPolicy.Builder policy = AclPolicy.newBuilder();
        for (int i = 0; i < given.size(); i++) {
            if (given.get(i) == null) {
                throw new BadRequestException("rule " + (i + 1) + " is empty");
            }
            policy.addRules(rule(given.get(i), "rule " + (i + 1)));
        }
        policy.addAllMasqueradeDestinations(cidrs(masquerade, "masquerade destination", MAX_MASQUERADE_DESTINATIONS, false));
        return policy.build();
    }

    public static List<Rule> render(AclPolicy policy) {
        return policy.getRulesList().stream()
                .map(rule -> new Rule(rule.getSourcesList(), rule.getDestinationsList(),
                        rule.getProtocol().name().substring("ACL_PROTOCOL_".length()).toLowerCase(Locale.ROOT),
                        rule.getPortsList().stream()
                                .map(p -> p.getFirst() == p.getLast() ? Integer.toString(p.getFirst()) : p.getFirst() + "-" + p.getLast())
                                .toList()))
                .toList();
    }

    private static AclRule rule(Rule rule, String where) {
        AclProtocol protocol = protocol(rule.protocol(), where);
        if (!rule.ports().isEmpty() && protocol != AclProtocol.ACL_PROTOCOL_TCP && protocol != AclProtocol.ACL_PROTOCOL_UDP) {
            throw new BadRequestException(where + ": ports apply only to tcp or udp");
        }
        if (rule.ports().size() > MAX_PORT_RANGES) {
            throw new BadRequestException(where + ": at most " + MAX_PORT_RANGES + " port ranges");
        }
        AclRule.Builder built = AclRule.newBuilder()
                .addAllSources(cidrs(rule.sources(), where + " source", MAX_CIDRS_PER_LIST, true))
                .addAllDestinations(cidrs(rule.destinations(), where + " destination", MAX_CIDRS_PER_LIST, true))
                .setProtocol(protocol);
        for (String ports : rule.ports()) {
            built.addPorts(portRange(ports, where));
        }
        return built.build();
    }

    private static AclProtocol protocol(String text, String where) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "any" -> AclProtocol.ACL_PROTOCOL_ANY;
            case "tcp" -> AclProtocol.ACL_PROTOCOL_TCP;
            case "udp" -> AclProtocol.ACL_PROTOCOL_UDP;
            case "icmp" -> AclProtocol.ACL_PROTOCOL_ICMP;
            default -> throw new BadRequestException(where + ": protocol must be any, tcp, udp or icmp");
        };
    }

    private static PortRange portRange(String text, String where) {
        Matcher matcher = text == null ? null : PORTS.matcher(text.strip());
        if (matcher == null || !matcher.matches()) {
            throw new BadRequestException(where + ": ports must look like \"443\" or \"8000-8080\"");
        }
        int first = Integer.parseInt(matcher.group(1));
        int last = matcher.group(2) == null ? first : Integer.parseInt(matcher.group(2));
        if (first < 1 || last > 65535 || first > last) {
            throw new BadRequestException(where + ": ports must be between 1 and 65535, first not above last");
        }
        return PortRange.newBuilder().setFirst(first).setLast(last).build();
    }

    /** Validated, canonical, de-duplicated network prefixes (host bits must be clear). */
    private static List<String> cidrs(List<String> texts, String what, int max, boolean required) {
        if (texts.size() > max) {
            throw new BadRequestException("at most " + max + " entries for " + what + "s");
        }
        if (required && texts.isEmpty()) {
            throw new BadRequestException(what + "s must not be empty (use 0.0.0.0/0 or ::/0 for any)");
        }
        LinkedHashSet<String> canonical = new LinkedHashSet<>();
        for (String text : texts) {
            canonical.add(CidrField.parseNetwork(text, what).toString());
        }
        return new ArrayList<>(canonical);
    }
}
