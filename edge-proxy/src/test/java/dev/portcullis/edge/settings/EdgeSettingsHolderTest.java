package dev.portcullis.edge.settings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.protocol.link.ComponentHandler.ConfigRejectedException;
import dev.portcullis.protocol.v1.ComponentConfig;
import dev.portcullis.protocol.v1.ConfigUpdate;
import dev.portcullis.protocol.v1.EdgeProxySettings;
import dev.portcullis.protocol.v1.GatewaySettings;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EdgeSettingsHolderTest {

    private final List<EdgeSettings> seen = new ArrayList<>();
    private final EdgeSettingsHolder holder = new EdgeSettingsHolder(seen::add);

    @Test
    void beforeCoreSendsAnythingTheDefaultLimitApplies() {
        assertThat(holder.current().requestsPerMinutePerAddress()).isEqualTo(120);
        assertThat(holder.current().version()).isZero();
        assertThat(seen).hasSize(1);
    }

    @Test
    void aConfigurationReplacesTheSettingsAndIsAnnounced() throws Exception {
        holder.applyConfig(config(7, "https://access.example.com", 30, "maintenance at 22:00"));

        EdgeSettings current = holder.current();
        assertThat(current.version()).isEqualTo(7);
        assertThat(current.publicOrigin()).contains(URI.create("https://access.example.com"));
        assertThat(current.requestsPerMinutePerAddress()).isEqualTo(30);
        assertThat(current.notice()).isEqualTo("maintenance at 22:00");
        assertThat(seen).last().isEqualTo(current);
    }

    @Test
    void anUpdateReplacesTheEdgeSectionAndAnEmptyOneOnlyMovesTheVersion() throws Exception {
        holder.applyConfig(config(1, "", 30, ""));
        holder.applyUpdate(ConfigUpdate.newBuilder().setBaseVersion(1).setVersion(2)
                .setEdgeProxy(EdgeProxySettings.newBuilder().setRequestsPerMinutePerAddress(40)).build());
        assertThat(holder.current().requestsPerMinutePerAddress()).isEqualTo(40);

        holder.applyUpdate(ConfigUpdate.newBuilder().setBaseVersion(2).setVersion(3).build());
        assertThat(holder.current().version()).isEqualTo(3);
        assertThat(holder.current().requestsPerMinutePerAddress()).isEqualTo(40);
    }

    @Test
    void anUnusableConfigurationIsRefusedAndTheLastOneIsKept() throws Exception {
        holder.applyConfig(config(1, "https://access.example.com", 30, ""));

        assertThatThrownBy(() -> holder.applyConfig(config(2, "http://access.example.com", 30, "")))
                .isInstanceOf(ConfigRejectedException.class).hasMessageContaining("https origin");
        assertThatThrownBy(() -> holder.applyConfig(config(2, "https://access.example.com/path", 30, "")))
                .isInstanceOf(ConfigRejectedException.class);
        assertThatThrownBy(() -> holder.applyConfig(config(2, "", EdgeSettings.MAX_REQUESTS_PER_MINUTE + 1, "")))
                .isInstanceOf(ConfigRejectedException.class);
        assertThatThrownBy(() -> holder.applyConfig(config(2, "", 30, "x".repeat(EdgeSettings.MAX_NOTICE_LENGTH + 1))))
                .isInstanceOf(ConfigRejectedException.class);
        assertThatThrownBy(() -> holder.applyConfig(ComponentConfig.newBuilder().setVersion(2)
                .setGateway(GatewaySettings.newBuilder().setLocation("x")).build()))
                .isInstanceOf(ConfigRejectedException.class).hasMessageContaining("not for an edge-proxy");

        assertThat(holder.current().version()).isEqualTo(1);
    }

    @Test
    void aZeroLimitMeansUnsetAndTakesTheDefault() throws Exception {
        holder.applyConfig(config(1, "", 0, ""));

        assertThat(holder.current().requestsPerMinutePerAddress()).isEqualTo(EdgeSettings.DEFAULT_REQUESTS_PER_MINUTE);
    }

    static ComponentConfig config(long version, String origin, int perMinute, String notice) {
        return ComponentConfig.newBuilder().setVersion(version).setEdgeProxy(EdgeProxySettings.newBuilder()
                .setPublicOrigin(origin).setRequestsPerMinutePerAddress(perMinute).setNotice(notice)).build();
    }
}
