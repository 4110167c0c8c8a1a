package dev.portcullis.gateway.wireguard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** CIDR literals: canonical as WireGuard reports them, and never a host name. */
class CidrTest {

    @Test
    void canonicalFormClearsHostBitsAndCompressesIpv6LikeWireGuard() {
        assertThat(Cidr.canonical("10.1.2.3/24")).isEqualTo("10.1.2.0/24");
        assertThat(Cidr.canonical("10.1.2.3/32")).isEqualTo("10.1.2.3/32");
        assertThat(Cidr.canonical("0.0.0.0/0")).isEqualTo("0.0.0.0/0");
        assertThat(Cidr.canonical("FD00:0:0::1:5/64")).isEqualTo("fd00::/64");
        assertThat(Cidr.canonical("fd00:0:0:0:0:0:0:2/128")).isEqualTo("fd00::2/128");
        assertThat(Cidr.canonical("2001:db8:0:0:1:0:0:1/128")).isEqualTo("2001:db8::1:0:0:1/128");
        assertThat(Cidr.canonical("2001:db8:0:1:1:1:1:1/128")).isEqualTo("2001:db8:0:1:1:1:1:1/128");
        assertThat(Cidr.canonical("::/0")).isEqualTo("::/0");
        assertThat(Cidr.canonical("::1/128")).isEqualTo("::1/128");
    }

    @Test
    void interfaceAddressKeepsHostBits() {
        assertThat(Cidr.parse("10.80.0.1/24").interfaceAddress()).isEqualTo("10.80.0.1/24");
    }

    @Test
    void hostNamesAndMalformedTextAreRejectedWithoutResolving() {
        for (String bad : new String[] {"localhost/32", "example.com/24", "abc/8", "1.2.3.4", "1.2.3.4/", "01.2.3.4/32",
                "1.2.3.4/33", "::/129", "1.2.3.4/32 ", " 1.2.3.4/32", "1.2.3.4/32\n", "[::1]/128", "::1%lo/128", "",
                "1.2.3.4.5/32", "1::2::3/64"}) {
            assertThatThrownBy(() -> Cidr.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageNotContaining(bad.isEmpty() ? "\u0000" : bad);
        }
    }
}
