package dev.portcullis.protocol.link;

import dev.portcullis.protocol.v1.ComponentMessage;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.util.Optional;

/**
 * The component end of the control link: a gRPC server that only core may use.
 * <ul>
 *   <li>Not adopted: serves {@code ComponentSetup} over TLS with a self-signed certificate for a
 *       freshly generated key, and accepts only a client certificate chaining to the CA pinned by
 *       the join token, with core's identity. Join returns the CSR and the token; Complete installs
 *       the signed certificate, stores it and switches the same port to mTLS.</li>
 *   <li>Adopted: serves {@code ComponentControl} over mTLS (only core's client certificate under
 *       the stored CA). One control stream at a time; a new one from core replaces the old.
 *       Handles rotation (new key, CSR, install, without dropping the stream) and revocation.</li>
 * </ul>
 * SKELETON: signatures are fixed; the implementation is being written.
 */
public final class ComponentLink implements AutoCloseable {

    private ComponentLink() {
    }

    /** Starts serving. Fails with a clear message if not adopted and no join token was given. */
    public static ComponentLink start(LinkSettings settings, ComponentHandler handler) throws IOException {
        throw new UnsupportedOperationException("not yet implemented");
    }

    public LinkState state() {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** The port the server is bound to (useful with port 0). */
    public int port() {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** The component id: from the join token before adoption, from the certificate after. */
    public String componentId() {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** The certificate presented to core now, if adopted. */
    public Optional<X509Certificate> certificate() {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** The configuration version last applied (0 if none). */
    public long configVersion() {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** Sends on the control stream. Returns false (and sends nothing) if core is not connected. */
    public boolean send(ComponentMessage message) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    @Override
    public void close() {
        throw new UnsupportedOperationException("not yet implemented");
    }
}
