package dev.portcullis.core.link;

import dev.portcullis.protocol.link.ComponentHandler;
import dev.portcullis.protocol.v1.ComponentConfig;
import dev.portcullis.protocol.v1.ConfigUpdate;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** A component handler that remembers what core sent, as a real component would apply it. */
final class RecordingHandler implements ComponentHandler {

    final List<ComponentConfig> configs = new CopyOnWriteArrayList<>();
    final List<ConfigUpdate> updates = new CopyOnWriteArrayList<>();
    final AtomicInteger connects = new AtomicInteger();
    final AtomicInteger disconnects = new AtomicInteger();
    final List<String> revocations = new CopyOnWriteArrayList<>();
    volatile String notice = "";

    @Override
    public void applyConfig(ComponentConfig config) {
        configs.add(config);
        notice = config.getGateway().getNotice();
    }

    @Override
    public void applyUpdate(ConfigUpdate update) {
        updates.add(update);
        notice = update.getGateway().getNotice();
    }

    @Override
    public void onCoreConnected() {
        connects.incrementAndGet();
    }

    @Override
    public void onCoreDisconnected() {
        disconnects.incrementAndGet();
    }

    @Override
    public void onRevoked(String reason) {
        revocations.add(reason);
    }
}
