package dev.portcullis.core.location;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.core.error.BadRequestException;
import org.junit.jupiter.api.Test;

class CidrTest {

    @Test
    void addressesArePrintedInOneCanonicalForm() {
        assertThat(Cidr.parse(" 10.80.0.1/24 ", "x")).hasToString("10.80.0.1/24");
        assertThat(Cidr.parse("10.80.0.2", "x")).hasToString("10.80.0.2/32");
        assertThat(Cidr.parse("FD00:0080:0000:0000:0000:0000:0000:0001/64", "x")).hasToString("fd00:80::1/64");
        assertThat(Cidr.parse("2001:db8:0:0:1:0:0:1/128", "x")).hasToString("2001:db8::1:0:0:1/128");
        assertThat(Cidr.parse("::/0", "x")).hasToString("::/0");
        assertThat(Cidr.parse("2001:db8:0:1:1:1:1:1", "x")).hasToString("2001:db8:0:1:1:1:1:1/128");
    }

    @Test
    void anythingButAnAddressLiteralIsRejectedWithoutALookup() {
        for (String bad : new String[] {"localhost", "example.com/24", "10.0.0.256/8", "10.0.0/8", "010.0.0.1/32",
                "10.0.0.1/33", "10.0.0.1/-1", "10.0.0.1/", "fe80::1%eth0/64", "::ffff:10.0.0.1/128", "fd00::/129", "",
                "10.0.0.1/24/1"}) {
            assertThatThrownBy(() -> Cidr.parse(bad, "allowed IP")).as(bad).isInstanceOf(BadRequestException.class);
        }
    }

    @Test
    void overlapIsContainmentWithinOneFamily() {
        assertThat(Cidr.parse("10.80.0.0/24", "x").overlaps(Cidr.parse("10.80.0.7/32", "x"))).isTrue();
        assertThat(Cidr.parse("10.80.0.7/32", "x").overlaps(Cidr.parse("10.80.0.0/24", "x"))).isTrue();
        assertThat(Cidr.parse("10.80.1.0/24", "x").overlaps(Cidr.parse("10.80.0.0/24", "x"))).isFalse();
        assertThat(Cidr.parse("::/0", "x").overlaps(Cidr.parse("10.0.0.0/8", "x"))).isFalse();
    }
}
