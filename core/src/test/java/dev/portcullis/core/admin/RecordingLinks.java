package dev.portcullis.core.admin;

import dev.portcullis.core.link.LinkPhase;
import dev.portcullis.core.link.LinkStatus;
import dev.portcullis.protocol.v1.ConfigUpdate;
import io.micronaut.context.annotation.Replaces;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/** A fake of the component links that records what the admin API told it. */
@Singleton
@Replaces(LinkControl.class)
@Requires(property = "portcullis.test.recording-links", value = "true")
public final class RecordingLinks implements LinkControl {

    final List<String> calls = new CopyOnWriteArrayList<>();
    final List<ConfigUpdate> updates = new CopyOnWriteArrayList<>();
    volatile RuntimeException statusFailure;

    @Override
    public void componentRegistered(String componentId) {
        calls.add("registered " + componentId);
    }

    @Override
    public void componentRemoved(String componentId, String reason) {
        calls.add("removed " + componentId);
    }

    @Override
    public void configurationChanged(String componentId, ConfigUpdate update) {
        calls.add("configured " + componentId);
        updates.add(update);
    }

    @Override
    public void rotateNow(String componentId) {
        calls.add("rotate " + componentId);
    }

    @Override
    public Map<String, LinkStatus> statuses() {
        if (statusFailure != null) {
            throw statusFailure;
        }
        return calls.stream().filter(c -> c.startsWith("registered ")).map(c -> c.substring("registered ".length()))
                .collect(java.util.stream.Collectors.toMap(id -> id, id -> new LinkStatus(id, LinkPhase.JOINING,
                        Instant.parse("2025-01-01T00:00:00Z"), Optional.of("dialing"), Optional.empty(), 0,
                        Optional.empty()), (a, b) -> a));
    }
}
