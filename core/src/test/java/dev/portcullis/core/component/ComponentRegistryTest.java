package dev.portcullis.core.component;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.core.error.BadRequestException;
import dev.portcullis.core.error.ConflictException;
import dev.portcullis.core.error.NotFoundException;
import dev.portcullis.pki.cert.CaFingerprint;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.join.JoinToken;
import dev.portcullis.protocol.v1.ComponentConfig;
import dev.portcullis.protocol.v1.ConfigUpdate;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ComponentRegistryTest {

    private final RegistryFixture fixture = new RegistryFixture();
    private final ComponentRegistry registry = fixture.registry;

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    @Test
    void registeredComponentIsPendingWithDefaultSettingsAndATokenPinningTheCa() throws Exception {
        JoinToken token = registry.register("edge-1", PeerIdentity.Role.EDGE_PROXY, "edge.internal", 7443);

        Component component = registry.byName("edge-1").orElseThrow();
        assertThat(component.id()).isEqualTo(token.componentId());
        assertThat(component.state()).isEqualTo(ComponentState.PENDING);
        assertThat(component.address()).isEqualTo(new ComponentAddress("edge.internal", 7443));
        assertThat(token.caFingerprint()).isEqualTo(CaFingerprint.of(fixture.ca.certificate()));
        assertThat(JoinToken.parse(token.reveal()).tokenId()).isEqualTo(token.tokenId());
        assertThat(registry.components()).extracting(r -> r.name()).containsExactly("edge-1");

        ComponentConfig config = registry.configuration(component.id());
        assertThat(config.getVersion()).isEqualTo(1);
        assertThat(config.getEdgeProxy().getRequestsPerMinutePerAddress()).isEqualTo(120);
        assertThat(config.getEdgeProxy().getPublicOrigin()).isEmpty();
    }

    @Test
    void namesAreUniqueAmongComponentsThatWereNotRemoved() {
        registry.register("edge-1", PeerIdentity.Role.EDGE_PROXY, "127.0.0.1", 7443);

        assertThatThrownBy(() -> registry.register("edge-1", PeerIdentity.Role.GATEWAY, "127.0.0.1", 7444))
                .isInstanceOf(ConflictException.class).hasMessageContaining("already exists");

        String removedId = registry.remove("edge-1");
        JoinToken again = registry.register("edge-1", PeerIdentity.Role.EDGE_PROXY, "127.0.0.1", 7443);
        assertThat(again.componentId()).isNotEqualTo(removedId);
        assertThat(registry.find(removedId)).isEmpty();
    }

    @Test
    void malformedRegistrationsAreRefused() {
        assertThatThrownBy(() -> registry.register("Edge 1", PeerIdentity.Role.EDGE_PROXY, "127.0.0.1", 7443))
                .isInstanceOf(BadRequestException.class);
        assertThatThrownBy(() -> registry.register("edge-1", PeerIdentity.Role.CORE, "127.0.0.1", 7443))
                .isInstanceOf(BadRequestException.class);
        assertThatThrownBy(() -> registry.register("edge-1", PeerIdentity.Role.EDGE_PROXY, "bad host", 7443))
                .isInstanceOf(BadRequestException.class);
        assertThatThrownBy(() -> registry.register("edge-1", PeerIdentity.Role.EDGE_PROXY, "127.0.0.1", 0))
                .isInstanceOf(BadRequestException.class);
        assertThat(registry.list()).isEmpty();
    }

    @Test
    void addressesParseHostPortAndBracketedIpv6() {
        assertThat(ComponentAddress.parse("edge.example.internal:7443")).isEqualTo(new ComponentAddress("edge.example.internal", 7443));
        assertThat(ComponentAddress.parse("[fd00::1]:7443").toString()).isEqualTo("[fd00::1]:7443");
        assertThatThrownBy(() -> ComponentAddress.parse("fd00::1:7443")).isInstanceOf(BadRequestException.class);
        assertThatThrownBy(() -> ComponentAddress.parse("300.1.1.1:7443")).isInstanceOf(BadRequestException.class);
        assertThatThrownBy(() -> ComponentAddress.parse("host:99999")).isInstanceOf(BadRequestException.class);
        assertThatThrownBy(() -> ComponentAddress.parse("host")).isInstanceOf(BadRequestException.class);
    }

    @Test
    void settingsChangeBumpsTheVersionAndReturnsTheUpdateForTheLink() {
        String id = registry.register("edge-1", PeerIdentity.Role.EDGE_PROXY, "127.0.0.1", 7443).componentId();

        ConfigUpdate update = registry.updateSettings("edge-1", new ComponentSettings.Change(
                Optional.of("https://Access.Example.com/"), Optional.of(300), Optional.of("maintenance at 18:00"),
                Optional.empty()));

        assertThat(update.getBaseVersion()).isEqualTo(1);
        assertThat(update.getVersion()).isEqualTo(2);
        assertThat(update.getEdgeProxy().getPublicOrigin()).isEqualTo("https://access.example.com");
        assertThat(update.getEdgeProxy().getRequestsPerMinutePerAddress()).isEqualTo(300);
        assertThat(registry.configuration(id).getVersion()).isEqualTo(2);
        assertThat(registry.configuration(id).getEdgeProxy().getNotice()).isEqualTo("maintenance at 18:00");

        ConfigUpdate next = registry.updateSettings("edge-1", new ComponentSettings.Change(
                Optional.empty(), Optional.empty(), Optional.of(""), Optional.empty()));
        assertThat(next.getBaseVersion()).isEqualTo(2);
        assertThat(next.getEdgeProxy().getPublicOrigin()).as("unchanged fields keep their value")
                .isEqualTo("https://access.example.com");
    }

    @Test
    void gatewaySettingsCarryTheLocation() {
        String id = registry.register("gw-1", PeerIdentity.Role.GATEWAY, "127.0.0.1", 7443).componentId();

        ConfigUpdate update = registry.updateSettings("gw-1", new ComponentSettings.Change(
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.of("berlin-office")));

        assertThat(update.getGateway().getLocation()).isEqualTo("berlin-office");
        assertThat(registry.configuration(id).getGateway().getLocation()).isEqualTo("berlin-office");
    }

    @Test
    void aGatewaysDeviceEndpointIsAHostOrAddressAndCanBeCleared() {
        registry.register("gw-1", PeerIdentity.Role.GATEWAY, "127.0.0.1", 7444);
        registry.register("edge-1", PeerIdentity.Role.EDGE_PROXY, "127.0.0.1", 7443);

        registry.updateSettings("gw-1", endpoint("2001:DB8::7"));
        assertThat(registry.byName("gw-1").orElseThrow().settings().deviceEndpointHost()).contains("2001:db8:0:0:0:0:0:7");
        registry.updateSettings("gw-1", endpoint("Vpn.Example.COM"));
        assertThat(registry.byName("gw-1").orElseThrow().settings().deviceEndpointHost()).contains("vpn.example.com");
        for (String bad : new String[] {"vpn.example.com:51820", "-bad.example", "a b", "http://x", "x".repeat(254)}) {
            assertThatThrownBy(() -> registry.updateSettings("gw-1", endpoint(bad))).as(bad)
                    .isInstanceOf(BadRequestException.class).hasMessageContaining("device endpoint");
        }
        assertThat(registry.byName("gw-1").orElseThrow().settings().deviceEndpointHost()).as("unchanged by refusals")
                .contains("vpn.example.com");
        assertThatThrownBy(() -> registry.updateSettings("edge-1", endpoint("203.0.113.7")))
                .isInstanceOf(BadRequestException.class).hasMessageContaining("gateways only");
        registry.updateSettings("gw-1", endpoint(""));
        assertThat(registry.byName("gw-1").orElseThrow().settings().deviceEndpointHost()).isEmpty();
    }

    private static ComponentSettings.Change endpoint(String host) {
        return new ComponentSettings.Change(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.of(host));
    }

    @Test
    void invalidSettingsAreRefusedAndChangeNothing() {
        registry.register("edge-1", PeerIdentity.Role.EDGE_PROXY, "127.0.0.1", 7443);
        registry.register("gw-1", PeerIdentity.Role.GATEWAY, "127.0.0.1", 7444);

        for (String origin : new String[] {"http://access.example.com", "ftp://x", "https://", "https://a.example/path",
                "https://user@a.example", "https://a.example/?q=1", "javascript:alert(1)"}) {
            assertThatThrownBy(() -> registry.updateSettings("edge-1", change(origin, null, null, null)))
                    .as(origin).isInstanceOf(BadRequestException.class);
        }
        assertThat(registry.updateSettings("edge-1", change("http://localhost:8443", null, null, null))
                .getEdgeProxy().getPublicOrigin()).isEqualTo("http://localhost:8443");
        assertThatThrownBy(() -> registry.updateSettings("edge-1", change(null, 0, null, null)))
                .isInstanceOf(BadRequestException.class);
        assertThatThrownBy(() -> registry.updateSettings("edge-1", change(null, 100_001, null, null)))
                .isInstanceOf(BadRequestException.class);
        assertThatThrownBy(() -> registry.updateSettings("edge-1", change(null, null, "x".repeat(501), null)))
                .isInstanceOf(BadRequestException.class);
        assertThatThrownBy(() -> registry.updateSettings("edge-1", change(null, null, null, "berlin")))
                .isInstanceOf(BadRequestException.class).hasMessageContaining("gateways only");
        assertThatThrownBy(() -> registry.updateSettings("gw-1", change("https://a.example", null, null, null)))
                .isInstanceOf(BadRequestException.class).hasMessageContaining("edge proxies only");
        assertThatThrownBy(() -> registry.updateSettings("nope", change(null, 5, null, null)))
                .isInstanceOf(NotFoundException.class);

        assertThat(registry.byName("edge-1").orElseThrow().configVersion()).isEqualTo(2);
        assertThat(registry.updateSettings("edge-1", change(null, 60_000, "x".repeat(500), null)).getVersion()).isEqualTo(3);
    }

    @Test
    void aRateLimitTheEdgeProxyWouldRefuseIsRefusedInCore() {
        // Core used to accept up to 100,000 a minute while proxies refuse more than 60,000, so the
        // proxy refused the whole configuration and kept serving the previous one.
        fixture.register("edge-1", PeerIdentity.Role.EDGE_PROXY);

        assertThatThrownBy(() -> registry.updateSettings("edge-1", change(null, 60_001, null, null)))
                .isInstanceOf(BadRequestException.class).hasMessageContaining("between 1 and 60000");
    }

    @Test
    void adoptedComponentGetsNoNewJoinToken() {
        String id = fixture.register("edge-1", PeerIdentity.Role.EDGE_PROXY);
        fixture.issue(id, PeerIdentity.Role.EDGE_PROXY);

        assertThatThrownBy(() -> registry.reissueToken("edge-1")).isInstanceOf(ConflictException.class);
    }

    @Test
    void removingAnUnknownComponentIsNotFound() {
        assertThatThrownBy(() -> registry.remove("ghost")).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> registry.remove("Bad\nName")).isInstanceOf(NotFoundException.class)
                .hasMessageNotContaining("\n");
    }

    private static ComponentSettings.Change change(String origin, Integer rate, String notice, String location) {
        return new ComponentSettings.Change(Optional.ofNullable(origin), Optional.ofNullable(rate),
                Optional.ofNullable(notice), Optional.ofNullable(location));
    }
}
