package dev.portcullis.gateway.settings;

import dev.portcullis.protocol.link.ComponentHandler.ConfigRejectedException;
import dev.portcullis.protocol.v1.ComponentConfig;
import dev.portcullis.protocol.v1.ConfigUpdate;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Holds the last configuration core sent, in memory only: kept while core is away, sent again by
 * core when it reconnects after a restart.
 */
public final class GatewaySettingsHolder {

    private final AtomicReference<GatewayConfig> current = new AtomicReference<>(GatewayConfig.initial());

    public GatewayConfig current() {
        return current.get();
    }

    public GatewayConfig applyConfig(ComponentConfig config) throws ConfigRejectedException {
        if (config.getKindCase() != ComponentConfig.KindCase.GATEWAY) {
            throw new ConfigRejectedException("configuration is not for a gateway");
        }
        return install(GatewayConfig.fromProto(config.getVersion(), config.getGateway()));
    }

    /**
     * Versioning is the link's job; an update carries the whole gateway section, so it replaces it.
     * Peer and ACL changes are applied elsewhere and only move the version here.
     */
    public GatewayConfig applyUpdate(ConfigUpdate update) throws ConfigRejectedException {
        return switch (update.getChangeCase()) {
            case GATEWAY -> install(GatewayConfig.fromProto(update.getVersion(), update.getGateway()));
            case ADMIT, EVICT, ACL, CHANGE_NOT_SET -> install(current.get().withVersion(update.getVersion()));
            default -> throw new ConfigRejectedException("update is not for a gateway");
        };
    }

    private GatewayConfig install(GatewayConfig next) {
        current.set(next);
        return next;
    }
}
