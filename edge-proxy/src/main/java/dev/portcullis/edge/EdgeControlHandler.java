package dev.portcullis.edge;

import com.google.protobuf.ByteString;
import dev.portcullis.edge.forward.Forwarder;
import dev.portcullis.edge.settings.EdgeSettingsHolder;
import dev.portcullis.protocol.link.ComponentHandler;
import dev.portcullis.protocol.v1.ComponentConfig;
import dev.portcullis.protocol.v1.ConfigUpdate;
import dev.portcullis.protocol.v1.Hello;
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
    private final ByteString publicTrustAnchorSha256;
    private final Runnable onConnected;
    private final Consumer<String> onRevoked;

    /**
     * @param publicTrustAnchorSha256 the pin of the public listener's chain (see
     *                                {@code PublicCertificate#trustAnchorPin}), told to core in every Hello
     */
    EdgeControlHandler(EdgeSettingsHolder settings, Forwarder forwarder, byte[] publicTrustAnchorSha256, Runnable onConnected,
                       Consumer<String> onRevoked) {
        this.settings = settings;
        this.forwarder = forwarder;
        this.publicTrustAnchorSha256 = ByteString.copyFrom(publicTrustAnchorSha256);
        this.onConnected = onConnected;
        this.onRevoked = onRevoked;
    }

    /** Core puts this pin into the invite links it mints for this proxy's public origin. */
    @Override
    public void describe(Hello.Builder hello) {
        hello.setPublicTrustAnchorSha256(publicTrustAnchorSha256);
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
