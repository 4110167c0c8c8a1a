package dev.portcullis.gateway.health;

import dev.portcullis.protocol.link.LinkState;

/** Where the control link stands; the real one is {@code ComponentLink::state}, tests use a fake. */
@FunctionalInterface
public interface LinkStateSource {
    LinkState state();
}
