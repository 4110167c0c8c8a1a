package dev.portcullis.edge.forward;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HeaderAllowlistTest {

    @ParameterizedTest
    @ValueSource(strings = {"x-portcullis-device-auth", "X-Portcullis-Device-Auth", "X-PORTCULLIS-DEVICE-AUTH"})
    void theAgentsDeviceAuthenticationHeaderIsForwardedInAnyCase(String name) {
        assertThat(HeaderAllowlist.requestAllows(name)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"content-type", "accept", "accept-language", "user-agent", "cookie", "origin", "x-portcullis-csrf"})
    void whatBrowsersNeedIsStillForwarded(String name) {
        assertThat(HeaderAllowlist.requestAllows(name)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"authorization", "proxy-authorization", "host", "x-forwarded-for", "x-real-ip", "forwarded",
        "x-portcullis-device", "x-portcullis-device-auth-v2", "x-portcullis-auth", "x-device-auth", "device-auth",
        "x-portcullis-device-auth ", "connection", "te", "x-portcullis-client-address"})
    void lookalikesAndEverythingElseStayAtTheEdge(String name) {
        assertThat(HeaderAllowlist.requestAllows(name)).isFalse();
    }

    @Test
    void theDeviceAuthenticationHeaderIsNeverRelayedBackToAClient() {
        assertThat(HeaderAllowlist.responseAllows("X-Portcullis-Device-Auth", "v1 device=x, time=1, signature=y")).isFalse();
    }
}
