package dev.portcullis.gateway.acl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class CidrTest {

    @ParameterizedTest
    @CsvSource({
            "10.0.0.0/8, 10.0.0.0/8",
            "192.168.1.7, 192.168.1.7/32",
            "0.0.0.0/0, 0.0.0.0/0",
            "255.255.255.255/32, 255.255.255.255/32",
            "FD00:0:0:0:0:0:0:0/8, fd00::/8",
            "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1/128",
            "2001:0db8:0000:0000:0000:0000:0000:0001/128, 2001:db8::1/128",
            "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1/128",
            "1:0:0:2:0:0:0:3, 1:0:0:2::3/128",
            "::, ::/128",
            "::/0, ::/0",
            "::1, ::1/128",
            "1::, 1::/128",
            "fd00:0:0:1::/64, fd00:0:0:1::/64",
    })
    void addressesAreWrittenInCanonicalForm(String input, String canonical) {
        assertThat(Cidr.parse(input)).hasToString(canonical);
    }

    @Test
    void normalizationDropsDuplicatesAndCoveredNetworksAndSortsByFamily() {
        List<Cidr> normalized = Cidr.normalize(List.of(Cidr.parse("fd00::/64"), Cidr.parse("10.2.0.0/16"),
                Cidr.parse("10.0.0.0/8"), Cidr.parse("fd00::/8"), Cidr.parse("9.0.0.0/8"), Cidr.parse("10.0.0.0/8"),
                Cidr.parse("11.0.0.1")));

        assertThat(normalized).extracting(Cidr::toString)
                .containsExactly("9.0.0.0/8", "10.0.0.0/8", "11.0.0.1/32", "fd00::/8");
    }

    @Test
    void containmentRespectsFamilyAndPrefix() {
        assertThat(Cidr.parse("0.0.0.0/0").contains(Cidr.parse("10.1.2.3"))).isTrue();
        assertThat(Cidr.parse("0.0.0.0/0").contains(Cidr.parse("::1"))).isFalse();
        assertThat(Cidr.parse("10.1.0.0/16").contains(Cidr.parse("10.0.0.0/8"))).isFalse();
        assertThat(Cidr.parse("fd00::/65").contains(Cidr.parse("fd00::8000:0:0:0/65"))).isFalse();
        assertThat(Cidr.parse("fd00::/64").contains(Cidr.parse("fd00::8000:0:0:0/65"))).isTrue();
    }
}
