package dev.portcullis.core.link;

import dev.portcullis.protocol.v1.ComponentConfig;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;

/**
 * What the link supervisor needs from core's component registry (backed by PostgreSQL).
 * This is the seam between the registry (which decides) and the links (which carry).
 */
public interface ComponentDirectory {

    /** Every component that has not been removed, adopted or still waiting for adoption. */
    List<ComponentRecord> components();

    Optional<ComponentRecord> find(String componentId);

    /**
     * Consumes a join token: succeeds at most once, even when called concurrently, and only for
     * a token that belongs to this component, is unexpired and whose secret matches the stored
     * hash (constant-time compare). Every outcome other than ACCEPTED leaves the token as it was.
     */
    JoinVerdict consumeJoinToken(String componentId, String tokenId, byte[] presentedSecret);

    /** Records the certificate just signed for a component; it becomes the one core accepts. */
    void certificateIssued(String componentId, X509Certificate certificate);

    /**
     * True only for the certificate core most recently issued to this component (and, while a
     * rotation is being installed, the one it replaces), never for a revoked one.
     */
    boolean acceptsCertificate(String componentId, BigInteger serial);

    /** The component's full configuration as core wants it now. */
    ComponentConfig configuration(String componentId);
}
