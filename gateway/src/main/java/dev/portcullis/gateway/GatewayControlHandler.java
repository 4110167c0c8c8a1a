package dev.portcullis.gateway;

import dev.portcullis.gateway.settings.GatewaySettingsHolder;
import dev.portcullis.protocol.link.ComponentHandler;
import dev.portcullis.protocol.v1.ComponentConfig;
import dev.portcullis.protocol.v1.ConfigUpdate;
import java.util.function.Consumer;

/**
 * What the gateway does with what core sends. Called on the link's thread, one call at a time.
 * The link logs adoption, connection, configuration and revocation itself, once each.
 */
final class GatewayControlHandler implements ComponentHandler {

    private final GatewaySettingsHolder settings;
    private final Runnable onConnected;
    private final Consumer<String> onRevoked;

    GatewayControlHandler(GatewaySettingsHolder settings, Runnable onConnected, Consumer<String> onRevoked) {
        this.settings = settings;
        this.onConnected = onConnected;
        this.onRevoked = onRevoked;
    }

    @Override
    public void applyConfig(ComponentConfig config) throws ConfigRejectedException {
        settings.applyConfig(config);
    }

    @Override
    public void applyUpdate(ConfigUpdate update) throws ConfigRejectedException {
        settings.applyUpdate(update);
    }

    @Override
    public void onCoreConnected() {
        onConnected.run();
    }

    @Override
    public void onRevoked(String reason) {
        onRevoked.accept(reason);
    }
}
