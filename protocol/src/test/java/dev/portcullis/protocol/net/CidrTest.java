package dev.portcullis.protocol.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

/** CIDR literals: one canonical text, strict grammar, and never a host name. */
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
            "fd00:0:0:0:0:0:0:2/128, fd00::2/128",
    })
    void networksAreWrittenInCanonicalForm(String input, String canonical) {
        assertThat(Cidr.parseNetwork(input)).hasToString(canonical);
    }

    @Test
    void parseKeepsHostBitsAndPrintsThemCanonically() {
        assertThat(Cidr.parse("10.80.0.1/24")).hasToString("10.80.0.1/24");
        assertThat(Cidr.parse("10.80.0.2")).hasToString("10.80.0.2/32");
        assertThat(Cidr.parse("FD00:0080:0000:0000:0000:0000:0000:0001/64")).hasToString("fd00:80::1/64");
        assertThat(Cidr.parseWithPrefixLength("10.80.0.1/24")).hasToString("10.80.0.1/24");
        assertThat(Cidr.parse("10.80.0.1/24").isNetwork()).isFalse();
        assertThat(Cidr.parse("10.80.0.1/24").network()).isEqualTo(Cidr.parse("10.80.0.0/24"));
    }

    @Test
    void clearingHostBitsGivesTheCanonicalFormWireGuardReportsBack() {
        assertThat(Cidr.parseClearingHostBits("10.1.2.3/24")).hasToString("10.1.2.0/24");
        assertThat(Cidr.parseClearingHostBits("10.1.2.3/32")).hasToString("10.1.2.3/32");
        assertThat(Cidr.parseClearingHostBits("0.0.0.0/0")).hasToString("0.0.0.0/0");
        assertThat(Cidr.parseClearingHostBits("FD00:0:0::1:5/64")).hasToString("fd00::/64");
        assertThat(Cidr.parseClearingHostBits("fd00:0:0:0:0:0:0:2/128")).hasToString("fd00::2/128");
        assertThat(Cidr.parseClearingHostBits("2001:db8:0:0:1:0:0:1/128")).hasToString("2001:db8::1:0:0:1/128");
        assertThat(Cidr.parseClearingHostBits("2001:db8:0:1:1:1:1:1/128")).hasToString("2001:db8:0:1:1:1:1:1/128");
        assertThat(Cidr.parseClearingHostBits("::/0")).hasToString("::/0");
        assertThat(Cidr.parseClearingHostBits("::1/128")).hasToString("::1/128");
    }

    @Test
    void twoSpellingsOfTheSameNetworkAreEqualOnceHostBitsAreCleared() {
        assertThat(Cidr.parseClearingHostBits("10.80.0.5/24")).isEqualTo(Cidr.parseClearingHostBits("10.80.0.0/24"));
        assertThat(Cidr.parseClearingHostBits("10.80.0.5/24")).hasSameHashCodeAs(Cidr.parseClearingHostBits("10.80.0.0/24"));
        assertThat(Cidr.parseClearingHostBits("fd00::2/128"))
                .isEqualTo(Cidr.parseClearingHostBits("fd00:0:0:0:0:0:0:2/128"));
        assertThat(Cidr.parseClearingHostBits("fd00::2/128")).isNotEqualTo(Cidr.parseClearingHostBits("fd00::2/127"));
        assertThat(Cidr.parse("10.80.0.5/24")).isNotEqualTo(Cidr.parse("10.80.0.0/24"));
    }

    @Test
    void hostBitsAreRefusedWhereANetworkIsExpected() {
        assertThatThrownBy(() -> Cidr.parseNetwork("10.0.0.1/8")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("has host bits set (the network is 10.0.0.0/8)");
        assertThatThrownBy(() -> Cidr.parseNetwork("fd00::1/64")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("has host bits set (the network is fd00::/64)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.2.3.4", "10.0.0.1", "::1", "fd00::2"})
    void aBareAddressIsRefusedWhereThePrefixLengthIsRequired(String text) {
        assertThat(Cidr.parse(text).prefixLength()).isIn(32, 128);
        assertThatThrownBy(() -> Cidr.parseWithPrefixLength(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining(text);
        assertThatThrownBy(() -> Cidr.parseClearingHostBits(text)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "localhost", "localhost/32", "example.com/24", "example.com/8", "abc/8", "/32",
        "10.0.0.256/8", "10.0.0.256/32", "10.0.0/8", "10.0.0/24", "1.2.3.4.5/32", "010.0.0.1/32", "01.2.3.4/32",
        "10.0.0.1/33", "1.2.3.4/33", "10.0.0.1/-1", "1.2.3.4/-1", "10.0.0.1/", "1.2.3.4/", "10.0.0.1/0032",
        "10.0.0.1/024", "10.0.0.1/24/1", "10.0.0.1/32/32", "fd00::/129", "::/129", "fd00::1/129", "1::2::3/64",
        "fe80::1%eth0/64", "fd00::1%eth0/128", "::1%lo/128", "[::1]/128", "[fd00::1]/128", "::ffff:10.0.0.1/128",
        "::10.0.0.1/128", "1.2.3.4/32 ", " 1.2.3.4/32", " 10.0.0.1/32", "1.2.3.4/32\n",
        "0000:0000:0000:0000:0000:0000:0000:0000:0/128"})
    void anythingButAnAddressLiteralIsRefusedWithoutALookupAndWithoutQuotingIt(String text) {
        for (var parser : List.<java.util.function.Function<String, Cidr>>of(Cidr::parse, Cidr::parseNetwork,
                Cidr::parseWithPrefixLength, Cidr::parseClearingHostBits)) {
            var thrown = assertThatThrownBy(() -> parser.apply(text)).as(String.valueOf(text))
                    .isInstanceOf(IllegalArgumentException.class);
            if (text != null && !text.isEmpty()) {
                thrown.hasMessageNotContaining(text);
            }
        }
    }

    @Test
    void normalizationDropsDuplicatesAndCoveredNetworksAndSortsByFamily() {
        List<Cidr> normalized = Cidr.normalize(List.of(Cidr.parseNetwork("fd00::/64"), Cidr.parseNetwork("10.2.0.0/16"),
                Cidr.parseNetwork("10.0.0.0/8"), Cidr.parseNetwork("fd00::/8"), Cidr.parseNetwork("9.0.0.0/8"),
                Cidr.parseNetwork("10.0.0.0/8"), Cidr.parseNetwork("11.0.0.1")));

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

    @Test
    void overlapIsContainmentWithinOneFamily() {
        assertThat(Cidr.parse("10.80.0.0/24").overlaps(Cidr.parse("10.80.0.7/32"))).isTrue();
        assertThat(Cidr.parse("10.80.0.7/32").overlaps(Cidr.parse("10.80.0.0/24"))).isTrue();
        assertThat(Cidr.parse("10.80.1.0/24").overlaps(Cidr.parse("10.80.0.0/24"))).isFalse();
        assertThat(Cidr.parse("::/0").overlaps(Cidr.parse("10.0.0.0/8"))).isFalse();
        assertThat(Cidr.parse("10.80.0.1/24").overlaps(Cidr.parse("10.80.0.9/32"))).isTrue();
    }
}
