package dev.portcullis.enrollment.webauthn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import org.junit.jupiter.api.Test;

class RelyingPartySettingsTest {

    private static RelyingPartySettings settings(String rpId, String... origins) {
        return new RelyingPartySettings(rpId, "Portcullis", Set.of(origins));
    }

    @Test
    void httpsOriginsOnTheRpIdOrItsSubdomainsAreAccepted() {
        RelyingPartySettings s = settings("example.com", "https://example.com", "https://vpn.example.com:8443");
        assertThat(s.rpId()).isEqualTo("example.com");
        assertThat(s.origins()).containsExactlyInAnyOrder("https://example.com", "https://vpn.example.com:8443");
    }

    @Test
    void originsAreNormalisedAsBrowsersReportThem() {
        RelyingPartySettings s = settings("Vpn.Example.COM", "HTTPS://VPN.example.com:443");
        assertThat(s.rpId()).isEqualTo("vpn.example.com");
        assertThat(s.origins()).containsExactly("https://vpn.example.com");
    }

    @Test
    void plainHttpIsAcceptedOnlyForLocalhostInDevelopment() {
        assertThat(settings("localhost", "http://localhost:8080").origins()).containsExactly("http://localhost:8080");
        assertThatThrownBy(() -> settings("example.com", "http://example.com"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("https");
        assertThatThrownBy(() -> settings("example.com", "ftp://example.com")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anRpIdMustBeAHostName() {
        for (String rpId : new String[] {null, "", "https://example.com", "example.com:443", "192.168.1.10", "[::1]",
                "exa mple.com", "-example.com", "example..com", "example.com.", "a".repeat(64) + ".com", "ex_ample.com"}) {
            assertThatThrownBy(() -> settings(rpId, "https://example.com")).as(String.valueOf(rpId))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void originsOutsideTheRpIdAreRefused() {
        assertThatThrownBy(() -> settings("example.com", "https://example.net")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> settings("example.com", "https://badexample.com")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> settings("vpn.example.com", "https://example.com")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anOriginIsOnlySchemeHostAndPort() {
        for (String origin : new String[] {"https://example.com/", "https://example.com/enroll", "https://example.com?x=1",
                "https://example.com#f", "https://user@example.com", "example.com", "https://", "not a uri"}) {
            assertThatThrownBy(() -> settings("example.com", origin)).as(origin).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void atLeastOneOriginAndANameAreRequired() {
        assertThatThrownBy(() -> new RelyingPartySettings("example.com", "Portcullis", Set.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RelyingPartySettings("example.com", "Portcullis", null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RelyingPartySettings("example.com", " ", Set.of("https://example.com")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
