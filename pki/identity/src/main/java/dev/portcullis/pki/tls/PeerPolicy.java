package dev.portcullis.pki.tls;

import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.cert.PeerVerifier.PeerRejectedException;
import java.security.cert.X509Certificate;

/**
 * What a verified chain must additionally satisfy: the expected identity, and for core the
 * exact certificate it issued to that component (not merely any certificate from its CA).
 */
@FunctionalInterface
public interface PeerPolicy {

    void check(PeerIdentity identity, X509Certificate leaf) throws PeerRejectedException;

    /** Accepts exactly one identity. */
    static PeerPolicy only(PeerIdentity expected) {
        return (identity, leaf) -> {
            if (!expected.equals(identity)) {
                throw new PeerRejectedException("certificate identity " + identity + " is not the expected " + expected);
            }
        };
    }

    default PeerPolicy and(PeerPolicy next) {
        return (identity, leaf) -> {
            check(identity, leaf);
            next.check(identity, leaf);
        };
    }
}
