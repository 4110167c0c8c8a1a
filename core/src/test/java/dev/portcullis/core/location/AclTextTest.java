package dev.portcullis.core.location;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.core.error.BadRequestException;
import dev.portcullis.protocol.v1.AclPolicy;
import dev.portcullis.protocol.v1.AclProtocol;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class AclTextTest {

    private static AclText.Rule rule(String protocol, String... ports) {
        return new AclText.Rule(List.of("10.80.0.0/24"), List.of("192.168.10.0/24"), protocol, List.of(ports));
    }

    @Test
    void validPolicyIsCanonicalAndRendersBack() {
        AclPolicy policy = AclText.parse(List.of(
                new AclText.Rule(List.of("10.80.0.0/24", "10.80.0.0/24"), List.of("FD00:10:0::/48"), "TCP", List.of("443", "8000-8080")),
                new AclText.Rule(List.of("10.80.0.7"), List.of("0.0.0.0/0"), null, null)), List.of("192.168.10.0/24"));

        assertThat(policy.getRulesCount()).isEqualTo(2);
        assertThat(policy.getRules(0).getSourcesList()).as("deduplicated").containsExactly("10.80.0.0/24");
        assertThat(policy.getRules(0).getDestinationsList()).containsExactly("fd00:10::/48");
        assertThat(policy.getRules(0).getProtocol()).isEqualTo(AclProtocol.ACL_PROTOCOL_TCP);
        assertThat(policy.getRules(1).getSourcesList()).containsExactly("10.80.0.7/32");
        assertThat(policy.getRules(1).getProtocol()).isEqualTo(AclProtocol.ACL_PROTOCOL_ANY);
        assertThat(AclText.render(policy).get(0)).isEqualTo(new AclText.Rule(List.of("10.80.0.0/24"),
                List.of("fd00:10::/48"), "tcp", List.of("443", "8000-8080")));
    }

    @Test
    void badRulesAreRejectedWithAClearMessage() {
        assertRejected(List.of(rule("any", "80")), "ports apply only to tcp or udp");
        assertRejected(List.of(rule("icmp", "80")), "ports apply only to tcp or udp");
        assertRejected(List.of(rule("tcp", "0")), "between 1 and 65535");
        assertRejected(List.of(rule("tcp", "65536")), "between 1 and 65535");
        assertRejected(List.of(rule("tcp", "90-80")), "first not above last");
        assertRejected(List.of(rule("tcp", "http")), "ports must look like");
        assertRejected(List.of(rule("sctp")), "protocol must be");
        assertRejected(List.of(new AclText.Rule(List.of("10.80.0.1/24"), List.of("0.0.0.0/0"), "any", List.of())), "host bits");
        assertRejected(List.of(new AclText.Rule(List.of("example.com/32"), List.of("0.0.0.0/0"), "any", List.of())), "CIDR");
        assertRejected(List.of(new AclText.Rule(List.of("10.0.0.0/33"), List.of("0.0.0.0/0"), "any", List.of())), "CIDR");
        assertRejected(List.of(new AclText.Rule(List.of(), List.of("0.0.0.0/0"), "any", List.of())), "must not be empty");
        assertRejected(Collections.nCopies(AclText.MAX_RULES + 1, rule("tcp", "443")), "at most");
        assertRejected(List.of(rule("tcp", Collections.nCopies(AclText.MAX_PORT_RANGES + 1, "80").toArray(String[]::new))),
                "at most");
        assertThatThrownBy(() -> AclText.parse(List.of(), List.of("not-a-net")))
                .isInstanceOf(BadRequestException.class).hasMessageContaining("masquerade destination");
    }

    private static void assertRejected(List<AclText.Rule> rules, String message) {
        assertThatThrownBy(() -> AclText.parse(rules, List.of()))
                .isInstanceOf(BadRequestException.class).hasMessageContaining(message);
    }
}
