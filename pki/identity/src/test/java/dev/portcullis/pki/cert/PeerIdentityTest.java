package dev.portcullis.pki.cert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.pki.cert.PeerIdentity.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class PeerIdentityTest {

    private static final String ID = "0b5c6f3e-9a1d-4c2b-8e7f-1a2b3c4d5e6f";

    @Test
    void aComponentIdentityIsItsRoleAndIdUnderThePortcullisUrn() {
        assertThat(PeerIdentity.component(Role.GATEWAY, ID).uri()).isEqualTo("urn:portcullis:gateway:" + ID);
        assertThat(PeerIdentity.component(Role.EDGE_PROXY, ID).uri()).isEqualTo("urn:portcullis:edge-proxy:" + ID);
        assertThat(PeerIdentity.core().uri()).isEqualTo("urn:portcullis:core");
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {
        "not-a-uuid",
        "0B5C6F3E-9A1D-4C2B-8E7F-1A2B3C4D5E6F",
        "0b5c6f3e-9a1d-4c2b-8e7f-1a2b3c4d5E6f",
        "0b5c6f3e9a1d4c2b8e7f1a2b3c4d5e6f",
        "0b5c6f3e-9a1d-4c2b-8e7f-1a2b3c4d5e6f\n",
        " 0b5c6f3e-9a1d-4c2b-8e7f-1a2b3c4d5e6f",
        "0b5c6f3e-9a1d-4c2b-8e7f-1a2b3c4d5e6f:core",
        "0b5c6f3e-9a1d-4c2b-8e7f-1a2b3c4d5e6g"
    })
    void aComponentIdThatIsNotALowerCaseUuidIsRefused(String componentId) {
        assertThatThrownBy(() -> PeerIdentity.component(Role.GATEWAY, componentId))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lower-case UUID");
    }

    @Test
    void coreIsNotAComponentRole() {
        assertThatThrownBy(() -> PeerIdentity.component(Role.CORE, ID))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("core is not a component");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "urn:other:core", "URN:PORTCULLIS:core", "https://core.example", "spiffe://portcullis/core",
        " urn:portcullis:core"})
    void onlyPortcullisUrnsAreIdentities(String uri) {
        assertThatThrownBy(() -> new PeerIdentity(uri))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a Portcullis identity");
    }

    @Test
    void aNullUriIsRefused() {
        assertThatThrownBy(() -> new PeerIdentity(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void onlyTheCoreIdentityIsCore() {
        assertThat(PeerIdentity.core().isCore()).isTrue();
        assertThat(new PeerIdentity("urn:portcullis:core").isCore()).isTrue();
        assertThat(PeerIdentity.component(Role.GATEWAY, ID).isCore()).isFalse();
        assertThat(new PeerIdentity("urn:portcullis:core:" + ID).isCore()).isFalse();
        assertThat(new PeerIdentity("urn:portcullis:cor").isCore()).isFalse();
    }
}
