package dev.portcullis.core.location;

import dev.portcullis.protocol.v1.ConfigUpdate;
import java.util.concurrent.CompletableFuture;

/**
 * The links to gateways, as admissions need them: push one update and learn when the gateway
 * acknowledged it (for admit/evict: once its WireGuard device reflects the change). In production
 * the {@link dev.portcullis.core.link.LinkSupervisor}; a fake in tests.
 */
public interface GatewayLinks {

    /**
     * Completes when the component acknowledged {@code update}; fails (with a message safe to show
     * an admin) if it is not connected, refuses the change or its stream ends first. Callers bound
     * the wait themselves.
     */
    CompletableFuture<Void> pushUpdate(String componentId, ConfigUpdate update);
}
