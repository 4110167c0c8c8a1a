package dev.portcullis.protocol.link;

import dev.portcullis.protocol.v1.ComponentConfig;
import dev.portcullis.protocol.v1.ConfigUpdate;
import dev.portcullis.protocol.v1.ProxyResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/** A component that remembers what the link handed it, and refuses configurations when told to. */
final class RecordingHandler implements ComponentHandler {

    final List<ComponentConfig> configs = new CopyOnWriteArrayList<>();
    final List<ConfigUpdate> updates = new CopyOnWriteArrayList<>();
    final List<ProxyResponse> proxyResponses = new CopyOnWriteArrayList<>();
    final AtomicInteger connected = new AtomicInteger();
    final AtomicInteger disconnected = new AtomicInteger();
    final AtomicReference<String> revokedReason = new AtomicReference<>();
    volatile String refuseWith;

    @Override
    public void applyConfig(ComponentConfig config) throws ConfigRejectedException {
        if (refuseWith != null) {
            throw new ConfigRejectedException(refuseWith);
        }
        configs.add(config);
    }

    @Override
    public void applyUpdate(ConfigUpdate update) throws ConfigRejectedException {
        if (refuseWith != null) {
            throw new ConfigRejectedException(refuseWith);
        }
        updates.add(update);
    }

    @Override
    public void onProxyResponse(ProxyResponse response) {
        proxyResponses.add(response);
    }

    @Override
    public void onCoreConnected() {
        connected.incrementAndGet();
    }

    @Override
    public void onCoreDisconnected() {
        disconnected.incrementAndGet();
    }

    @Override
    public void onRevoked(String reason) {
        revokedReason.set(reason);
    }
}
