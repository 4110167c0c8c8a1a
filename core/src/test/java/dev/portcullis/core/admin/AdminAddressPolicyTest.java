package dev.portcullis.core.admin;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.core.error.StartupRefusedException;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AdminAddressPolicyTest {

    @Test
    void internalAddressesAreAccepted() {
        for (String host : new String[] {"127.0.0.1", "::1", "10.1.2.3", "192.168.1.10", "172.16.0.1", "fd00::1",
                "169.254.10.10", "fe80::1", "localhost"}) {
            assertThatCode(() -> AdminAddressPolicy.check(host, Optional.empty())).as(host).doesNotThrowAnyException();
        }
    }

    @Test
    void adminBindOnWildcardIsRefused() {
        for (String host : new String[] {"0.0.0.0", "::", "0:0:0:0:0:0:0:0", "", " "}) {
            assertThatThrownBy(() -> AdminAddressPolicy.check(host, Optional.empty())).as(host)
                    .isInstanceOf(StartupRefusedException.class)
                    .hasMessageContaining("127.0.0.1");
        }
    }

    @Test
    void publicAddressesAreRefused() {
        for (String host : new String[] {"8.8.8.8", "2001:4860:4860::8888", "172.32.0.1"}) {
            assertThatThrownBy(() -> AdminAddressPolicy.check(host, Optional.empty())).as(host)
                    .isInstanceOf(StartupRefusedException.class)
                    .hasMessageContaining("portcullis.admin.allow-address=" + host);
        }
    }

    @Test
    void onlyTheExactlyAllowedAddressOverridesThePolicy() {
        assertThatCode(() -> AdminAddressPolicy.check("0.0.0.0", Optional.of("0.0.0.0"))).doesNotThrowAnyException();
        assertThatCode(() -> AdminAddressPolicy.check("8.8.8.8", Optional.of("8.8.8.8"))).doesNotThrowAnyException();
        assertThatThrownBy(() -> AdminAddressPolicy.check("0.0.0.0", Optional.of("8.8.8.8")))
                .isInstanceOf(StartupRefusedException.class);
    }

    @Test
    void adminBindOnWildcardIsRefusedBeforeCoreListens() {
        assertThatThrownBy(() -> CoreUnderTest.start(Map.of("portcullis.admin.host", "0.0.0.0")))
                .satisfies(e -> org.assertj.core.api.Assertions.assertThat(StartupRefusedException.findIn(e))
                        .hasValueSatisfying(refused -> org.assertj.core.api.Assertions.assertThat(refused.getMessage())
                                .contains("wildcard address 0.0.0.0")));
    }
}
