package dev.portcullis.gateway.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AllowedIpTest {

    @Test
    void twoSpellingsOfTheSameNetworkAreEqualAsTheDeviceStoresThem() {
        assertThat(AllowedIp.parse("10.80.0.5/24")).isEqualTo(AllowedIp.parse("10.80.0.0/24"));
        assertThat(AllowedIp.parse("10.80.0.5/24")).hasToString("10.80.0.0/24");
        assertThat(AllowedIp.parse("fd00::2/128")).isEqualTo(AllowedIp.parse("fd00:0:0:0:0:0:0:2/128"));
        assertThat(AllowedIp.parse("fd00::2/128")).isNotEqualTo(AllowedIp.parse("fd00::2/127"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "10.0.0.1", "10.0.0.1/", "/32", "10.0.0.1/33", "10.0.0.256/32", "10.0.0/24", "1.2.3.4/-1",
        "localhost/32", "example.com/8", "fd00::1/129", "::ffff:10.0.0.1/128", "fd00::1%eth0/128", "10.0.0.1/32/32",
        "10.0.0.1/0032", "[fd00::1]/128", " 10.0.0.1/32"})
    void anythingButALiteralCidrIsRefusedWithoutAResolverLookup(String text) {
        assertThatThrownBy(() -> AllowedIp.parse(text)).isInstanceOf(IllegalArgumentException.class);
    }
}
