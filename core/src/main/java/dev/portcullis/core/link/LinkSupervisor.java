package dev.portcullis.core.link;

import dev.portcullis.protocol.v1.ConfigUpdate;
import java.util.Map;

/**
 * Owns one outbound link per registered component: dials it (joining it first if it is not
 * adopted), keeps one control stream open, reconnects with jittered backoff, pushes configuration,
 * rotates certificates and revokes. Core never listens for components; it only dials them.
 * SKELETON: signatures are fixed; the implementation is being written.
 */
public final class LinkSupervisor implements AutoCloseable {

    public LinkSupervisor(ComponentDirectory directory, dev.portcullis.pki.authority.CertificateAuthority ca,
                          PublicRequestHandler publicRequests, SupervisorSettings settings) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** Starts dialing every component the directory lists. */
    public void start() {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** A component was registered (the admin has its join token): start dialing it. */
    public void componentRegistered(String componentId) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** A component was removed: tell it (Revoked), close its stream, stop dialing. */
    public void componentRemoved(String componentId, String reason) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** Push an incremental configuration change to a connected component. */
    public void configurationChanged(String componentId, ConfigUpdate update) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** Rotate the component's certificate now rather than at the scheduled time. */
    public void rotateNow(String componentId) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** Current status of every link, by component id. */
    public Map<String, LinkStatus> statuses() {
        throw new UnsupportedOperationException("not yet implemented");
    }

    @Override
    public void close() {
        throw new UnsupportedOperationException("not yet implemented");
    }
}
