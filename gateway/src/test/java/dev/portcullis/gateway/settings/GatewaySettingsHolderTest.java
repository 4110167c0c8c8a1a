package dev.portcullis.gateway.settings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.protocol.link.ComponentHandler.ConfigRejectedException;
import dev.portcullis.protocol.v1.ComponentConfig;
import dev.portcullis.protocol.v1.ConfigUpdate;
import dev.portcullis.protocol.v1.EdgeProxySettings;
import dev.portcullis.protocol.v1.GatewaySettings;
import org.junit.jupiter.api.Test;

class GatewaySettingsHolderTest {

    private final GatewaySettingsHolder holder = new GatewaySettingsHolder();

    @Test
    void aConfigurationReplacesTheSettings() throws Exception {
        holder.applyConfig(config(2, "eu-central", "maintenance tonight"));

        assertThat(holder.current()).isEqualTo(new GatewayConfig(2, "eu-central", "maintenance tonight"));
    }

    @Test
    void anUpdateReplacesTheGatewaySectionAndAnEmptyOneOnlyMovesTheVersion() throws Exception {
        holder.applyConfig(config(2, "eu-central", ""));
        holder.applyUpdate(ConfigUpdate.newBuilder().setBaseVersion(2).setVersion(3)
                .setGateway(GatewaySettings.newBuilder().setLocation("eu-west")).build());
        assertThat(holder.current().location()).isEqualTo("eu-west");

        holder.applyUpdate(ConfigUpdate.newBuilder().setBaseVersion(3).setVersion(4).build());
        assertThat(holder.current()).isEqualTo(new GatewayConfig(4, "eu-west", ""));
    }

    @Test
    void anUnusableConfigurationIsRefusedAndTheLastOneIsKept() throws Exception {
        holder.applyConfig(config(2, "eu-central", ""));

        assertThatThrownBy(() -> holder.applyConfig(config(3, "x".repeat(GatewayConfig.MAX_LOCATION_LENGTH + 1), "")))
                .isInstanceOf(ConfigRejectedException.class);
        assertThatThrownBy(() -> holder.applyConfig(config(3, "eu\ncentral", ""))).isInstanceOf(ConfigRejectedException.class);
        assertThatThrownBy(() -> holder.applyConfig(config(3, "eu", "n".repeat(GatewayConfig.MAX_NOTICE_LENGTH + 1))))
                .isInstanceOf(ConfigRejectedException.class);
        assertThatThrownBy(() -> holder.applyConfig(ComponentConfig.newBuilder().setVersion(3)
                .setEdgeProxy(EdgeProxySettings.getDefaultInstance()).build()))
                .isInstanceOf(ConfigRejectedException.class).hasMessageContaining("not for a gateway");

        assertThat(holder.current().version()).isEqualTo(2);
    }

    static ComponentConfig config(long version, String location, String notice) {
        return ComponentConfig.newBuilder().setVersion(version)
                .setGateway(GatewaySettings.newBuilder().setLocation(location).setNotice(notice)).build();
    }
}
