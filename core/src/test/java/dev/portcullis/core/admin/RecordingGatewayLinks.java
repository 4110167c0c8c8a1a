package dev.portcullis.core.admin;

import dev.portcullis.core.link.RefusedUpdateException;
import dev.portcullis.core.location.GatewayLinks;
import dev.portcullis.protocol.v1.ConfigUpdate;
import io.micronaut.context.annotation.Replaces;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** Gateways that acknowledge every update, except those listed in {@link #refusing}. */
@Singleton
@Replaces(GatewayLinks.class)
@Requires(property = "portcullis.test.recording-links", value = "true")
public final class RecordingGatewayLinks implements GatewayLinks {

    public final List<ConfigUpdate> pushed = new CopyOnWriteArrayList<>();
    public final Set<String> refusing = ConcurrentHashMap.newKeySet();

    @Override
    public CompletableFuture<Void> pushUpdate(String componentId, ConfigUpdate update) {
        pushed.add(update);
        return refusing.contains(componentId)
                ? CompletableFuture.failedFuture(new RefusedUpdateException("component is not connected"))
                : CompletableFuture.completedFuture(null);
    }
}
