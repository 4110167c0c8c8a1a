package dev.portcullis.edge;

import dev.portcullis.edge.forward.Forwarder;
import dev.portcullis.edge.settings.EdgeSettingsHolder;
import dev.portcullis.protocol.link.ComponentHandler;
import dev.portcullis.protocol.v1.ComponentConfig;
import dev.portcullis.protocol.v1.ConfigUpdate;
import dev.portcullis.protocol.v1.ProxyResponse;
import java.util.function.Consumer;

/**
 * What the edge-proxy does with what core sends over the control stream. Called on the link's
 * thread, one call at a time. The link itself logs adoption, connection, configuration and
 * revocation, once each, so this handler does not repeat them.
 */
final class EdgeControlHandler implements ComponentHandler {

    private final EdgeSettingsHolder settings;
    private final Forwarder forwarder;
    private final Runnable onConnected;
    private final Consumer<String> onRevoked;

    EdgeControlHandler(EdgeSettingsHolder settings, Forwarder forwarder, Runnable onConnected, Consumer<String> onRevoked) {
        this.settings = settings;
        this.forwarder = forwarder;
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
    public void onProxyResponse(ProxyResponse response) {
        forwarder.onProxyResponse(response);
    }

    @Override
    public void onCoreConnected() {
        onConnected.run();
    }

    @Override
    public void onCoreDisconnected() {
        // Nobody will answer what is waiting: fail it now (503) instead of at the timeout (504).
        forwarder.coreDisconnected();
    }

    @Override
    public void onRevoked(String reason) {
        forwarder.coreDisconnected();
        onRevoked.accept(reason);
    }
}
