package dev.portcullis.core.location;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.core.error.BadRequestException;
import org.junit.jupiter.api.Test;

/** The admin-facing face of {@code Cidr}: whitespace forgiven, failures as a 400 naming the field. */
class CidrFieldTest {

    @Test
    void surroundingWhitespaceIsForgivenAndHostBitsAreKept() {
        assertThat(CidrField.parse(" 10.80.0.1/24 ", "x")).hasToString("10.80.0.1/24");
        assertThat(CidrField.parse("10.80.0.2", "x")).hasToString("10.80.0.2/32");
    }

    @Test
    void anythingButAnAddressLiteralIsABadRequestNamingTheField() {
        for (String bad : new String[] {"localhost", "10.0.0.256/8", "::ffff:10.0.0.1/128", "", "   ", null,
                " ".repeat(60) + "10.0.0.1/32"}) {
            assertThatThrownBy(() -> CidrField.parse(bad, "allowed IP")).as(String.valueOf(bad))
                    .isInstanceOf(BadRequestException.class).hasMessageStartingWith("allowed IP")
                    .hasMessageContaining("is not an IP address or prefix in CIDR notation");
        }
        assertThatThrownBy(() -> CidrField.parse("localhost", "allowed IP")).hasMessageContaining("'localhost'");
    }

    @Test
    void hostBitsInANetworkAreABadRequestSuggestingTheNetwork() {
        assertThatThrownBy(() -> CidrField.parseNetwork("10.80.0.1/24", "destination"))
                .isInstanceOf(BadRequestException.class)
                .hasMessage("destination 10.80.0.1/24 has host bits set; did you mean 10.80.0.0/24?");
    }
}
