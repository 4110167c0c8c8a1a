package dev.portcullis.protocol.link;

import dev.portcullis.protocol.v1.ComponentConfig;
import dev.portcullis.protocol.v1.ConfigUpdate;
import dev.portcullis.protocol.v1.ProxyResponse;

/**
 * What a component (edge-proxy, gateway) does with what core sends. The link calls these from
 * its stream thread, one at a time, in stream order. Versioning (base_version checks, resync
 * requests, acknowledgements) is the link's job; the handler only applies.
 */
public interface ComponentHandler {

    /** Replace the whole configuration. Throw to refuse it (the link acks with the message). */
    void applyConfig(ComponentConfig config) throws ConfigRejectedException;

    /** Apply one change on top of the current configuration. */
    void applyUpdate(ConfigUpdate update) throws ConfigRejectedException;

    /**
     * Adds component-specific facts to the Hello sent on every new stream (a gateway: its
     * WireGuard public key and listen port). Kind, id and config version are the link's and
     * are set after this returns.
     */
    default void describe(dev.portcullis.protocol.v1.Hello.Builder hello) {
    }

    /** An answer to a ProxyRequest this component sent. Edge-proxy only; gateways ignore it. */
    default void onProxyResponse(ProxyResponse response) {
    }

    /** Core opened (or re-opened) the control stream. */
    default void onCoreConnected() {
    }

    /** The control stream ended; keep serving with the last configuration. */
    default void onCoreDisconnected() {
    }

    /** Core removed this component. Credentials are already wiped; stop serving. */
    default void onRevoked(String reason) {
    }

    /** A configuration the component will not apply; the message is safe to send to core and log. */
    final class ConfigRejectedException extends Exception {
        private static final long serialVersionUID = 1L;

        public ConfigRejectedException(String message) {
            super(message);
        }
    }
}
