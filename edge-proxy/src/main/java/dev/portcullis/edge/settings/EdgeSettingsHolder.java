package dev.portcullis.edge.settings;

import dev.portcullis.protocol.link.ComponentHandler.ConfigRejectedException;
import dev.portcullis.protocol.v1.ComponentConfig;
import dev.portcullis.protocol.v1.ConfigUpdate;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Holds the last configuration core sent, in memory only. It is kept while core is away, and
 * lost on restart by design: core sends it again when it reconnects.
 */
public final class EdgeSettingsHolder {

    private final AtomicReference<EdgeSettings> current = new AtomicReference<>(EdgeSettings.defaults());
    private final Consumer<EdgeSettings> onChange;

    /** @param onChange told of every installed configuration (from the link's thread) */
    public EdgeSettingsHolder(Consumer<EdgeSettings> onChange) {
        this.onChange = Objects.requireNonNull(onChange, "onChange");
        onChange.accept(current.get());
    }

    public EdgeSettings current() {
        return current.get();
    }

    public EdgeSettings applyConfig(ComponentConfig config) throws ConfigRejectedException {
        if (config.getKindCase() != ComponentConfig.KindCase.EDGE_PROXY) {
            throw new ConfigRejectedException("configuration is not for an edge-proxy");
        }
        return install(EdgeSettings.fromProto(config.getVersion(), config.getEdgeProxy()));
    }

    /** Versioning is the link's job; an update carries the whole edge-proxy section, so it replaces it. */
    public EdgeSettings applyUpdate(ConfigUpdate update) throws ConfigRejectedException {
        return switch (update.getChangeCase()) {
            case EDGE_PROXY -> install(EdgeSettings.fromProto(update.getVersion(), update.getEdgeProxy()));
            case CHANGE_NOT_SET -> install(current.get().withVersion(update.getVersion()));
            default -> throw new ConfigRejectedException("update is not for an edge-proxy");
        };
    }

    private EdgeSettings install(EdgeSettings next) {
        current.set(next);
        onChange.accept(next);
        return next;
    }
}
