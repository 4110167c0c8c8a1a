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

    /** Updates whose notice is this are refused, as a component refuses what it cannot apply. */
    static final String REFUSE = "refuse me";
    /** While set, applying an update waits for it (a device that is slow to reflect a change). */
    volatile java.util.concurrent.CountDownLatch holdUpdates;

    @Override
    public void applyUpdate(ConfigUpdate update) throws ConfigRejectedException {
        java.util.concurrent.CountDownLatch hold = holdUpdates;
        if (hold != null) {
            try {
                hold.await(20, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (REFUSE.equals(update.getGateway().getNotice())) {
            throw new ConfigRejectedException("notice not acceptable here");
        }
        updates.add(update);
        notice = update.getGateway().getNotice();
    }

    @Override
    public void describe(dev.portcullis.protocol.v1.Hello.Builder hello) {
        hello.setWireguardListenPort(51820);
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
