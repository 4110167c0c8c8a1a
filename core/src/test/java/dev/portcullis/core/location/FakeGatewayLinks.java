package dev.portcullis.core.location;

import dev.portcullis.core.link.RefusedUpdateException;
import dev.portcullis.protocol.v1.ConfigUpdate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** Gateways that acknowledge every update at once, unless told to refuse or to stay silent. */
public final class FakeGatewayLinks implements GatewayLinks {

    public enum Behaviour { ACKNOWLEDGE, REFUSE, SILENT }

    public record Pushed(String componentId, ConfigUpdate update) {
    }

    public final List<Pushed> pushed = new CopyOnWriteArrayList<>();
    private final Map<String, Behaviour> behaviours = new ConcurrentHashMap<>();

    public void behave(String componentId, Behaviour behaviour) {
        behaviours.put(componentId, behaviour);
    }

    public void reset() {
        pushed.clear();
        behaviours.clear();
    }

    public List<ConfigUpdate> to(String componentId) {
        return pushed.stream().filter(p -> p.componentId().equals(componentId)).map(Pushed::update).toList();
    }

    @Override
    public CompletableFuture<Void> pushUpdate(String componentId, ConfigUpdate update) {
        pushed.add(new Pushed(componentId, update));
        return switch (behaviours.getOrDefault(componentId, Behaviour.ACKNOWLEDGE)) {
            case ACKNOWLEDGE -> CompletableFuture.completedFuture(null);
            case REFUSE -> CompletableFuture.failedFuture(new RefusedUpdateException("component is not connected"));
            case SILENT -> new CompletableFuture<>();
        };
    }
}
