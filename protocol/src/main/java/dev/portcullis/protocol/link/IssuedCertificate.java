package dev.portcullis.protocol.link;

import dev.portcullis.pki.cert.CaFingerprint;
import dev.portcullis.pki.cert.Certificates;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.cert.PeerVerifier;
import dev.portcullis.pki.cert.PeerVerifier.PeerRejectedException;
import dev.portcullis.pki.tls.KeyMaterial;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;

/**
 * Checks a certificate core hands this component (at adoption and at every rotation) before the
 * component stores it or presents it. Each step is a method; a failure is a
 * {@link RefusedCertificateException} whose message says which step failed, safe to log and to
 * return to core.
 * <ol>
 *   <li>{@link #pinnedCa}: the CA is the one this component pins (by the join token's fingerprint
 *       at adoption, by the stored CA at rotation) and is a CA;</li>
 *   <li>{@link #verifiedServerCertificate}: the certificate chains to that CA, is valid now, is for
 *       TLS server use and carries exactly one Portcullis identity;</li>
 *   <li>{@link #requireOurKey}: it certifies the key this component generated for it;</li>
 *   <li>{@link #requireIdentity}: the identity is this component's.</li>
 * </ol>
 */
final class IssuedCertificate {

    private IssuedCertificate() {
    }

    /** Runs every step; returns the key material to present from now on (key, leaf, CA). */
    static KeyMaterial verify(byte[] certificateDer, byte[] caDer, CaFingerprint pin, KeyPair ourKey,
                              PeerIdentity expected, Clock clock) throws RefusedCertificateException {
        X509Certificate ca = pinnedCa(caDer, pin);
        X509Certificate leaf = parse(certificateDer, "certificate");
        PeerIdentity identity = verifiedServerCertificate(leaf, ca, clock);
        requireOurKey(leaf, ourKey);
        requireIdentity(identity, expected);
        return new KeyMaterial(ourKey.getPrivate(), leaf, ca);
    }

    static X509Certificate pinnedCa(byte[] caDer, CaFingerprint pin) throws RefusedCertificateException {
        X509Certificate ca = parse(caDer, "CA certificate");
        if (!pin.matches(ca)) {
            throw new RefusedCertificateException("CA " + CaFingerprint.of(ca) + " is not the pinned " + pin);
        }
        if (ca.getBasicConstraints() < 0) {
            throw new RefusedCertificateException("pinned CA certificate " + Certificates.serialHex(ca) + " is not a CA");
        }
        return ca;
    }

    static PeerIdentity verifiedServerCertificate(X509Certificate leaf, X509Certificate ca, Clock clock)
            throws RefusedCertificateException {
        try {
            return new PeerVerifier(ca, clock).verifyServer(new X509Certificate[] {leaf, ca});
        } catch (PeerRejectedException e) {
            throw new RefusedCertificateException(e.getMessage());
        }
    }

    static void requireOurKey(X509Certificate leaf, KeyPair ourKey) throws RefusedCertificateException {
        if (!MessageDigest.isEqual(leaf.getPublicKey().getEncoded(), ourKey.getPublic().getEncoded())) {
            throw new RefusedCertificateException("certificate " + Certificates.serialHex(leaf)
                    + " is not for the key this component generated");
        }
    }

    static void requireIdentity(PeerIdentity identity, PeerIdentity expected) throws RefusedCertificateException {
        if (!expected.equals(identity)) {
            throw new RefusedCertificateException("certificate identity " + identity + " is not this component's ("
                    + expected + ")");
        }
    }

    private static X509Certificate parse(byte[] der, String what) throws RefusedCertificateException {
        try {
            return Certificates.parse(der);
        } catch (CertificateException | RuntimeException e) {
            throw new RefusedCertificateException(what + " is missing or malformed");
        }
    }

    /** A certificate this component will not install; the message is safe to log and to send to core. */
    static final class RefusedCertificateException extends Exception {
        private static final long serialVersionUID = 1L;

        RefusedCertificateException(String message) {
            super(message);
        }
    }
}
