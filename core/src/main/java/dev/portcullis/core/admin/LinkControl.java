package dev.portcullis.core.admin;

import dev.portcullis.core.error.ConflictException;
import dev.portcullis.core.link.LinkStatus;
import dev.portcullis.protocol.v1.ConfigUpdate;
import java.util.Map;

/**
 * What the admin API tells the component links after changing the registry. In production this is
 * the {@link dev.portcullis.core.link.LinkSupervisor}; with {@code portcullis.links.enabled=false}
 * (tests of the admin API alone) it is {@link #disabled()}.
 */
public interface LinkControl {

    void componentRegistered(String componentId);

    void componentRemoved(String componentId, String reason);

    void configurationChanged(String componentId, ConfigUpdate update);

    void rotateNow(String componentId);

    Map<String, LinkStatus> statuses();

    /** No links: registry changes are stored and take effect when links run again. */
    static LinkControl disabled() {
        return new LinkControl() {
            @Override
            public void componentRegistered(String componentId) {
            }

            @Override
            public void componentRemoved(String componentId, String reason) {
            }

            @Override
            public void configurationChanged(String componentId, ConfigUpdate update) {
            }

            @Override
            public void rotateNow(String componentId) {
                throw new ConflictException("component links are disabled in this core (portcullis.links.enabled=false)");
            }

            @Override
            public Map<String, LinkStatus> statuses() {
                return Map.of();
            }
        };
    }
}
