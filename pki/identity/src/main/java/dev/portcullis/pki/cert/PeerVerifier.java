package dev.portcullis.pki.cert;

import java.security.GeneralSecurityException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Date;
import java.util.List;
import java.util.Set;

/**
 * Checks a peer's certificate chain against one pinned CA: signature chain, validity at the
 * clock's time, the extended key usage for the peer's side of the connection, and its identity.
 * Every failure is a {@link PeerRejectedException} whose message says what was wrong, safe to log.
 */
public final class PeerVerifier {

    private static final String EKU_SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String EKU_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    /** A Portcullis chain is leaf plus CA; anything longer is not ours. */
    private static final int MAX_CHAIN_LENGTH = 3;

    private final X509Certificate ca;
    private final Clock clock;

    public PeerVerifier(X509Certificate ca, Clock clock) {
        this.ca = ca;
        this.clock = clock;
    }

    public X509Certificate ca() {
        return ca;
    }

    /** Verifies a chain presented by a TLS client and returns its identity. */
    public PeerIdentity verifyClient(X509Certificate[] chain) throws PeerRejectedException {
        return verify(chain, EKU_CLIENT_AUTH, "client");
    }

    /** Verifies a chain presented by a TLS server and returns its identity. */
    public PeerIdentity verifyServer(X509Certificate[] chain) throws PeerRejectedException {
        return verify(chain, EKU_SERVER_AUTH, "server");
    }

    private PeerIdentity verify(X509Certificate[] chain, String eku, String side) throws PeerRejectedException {
        if (chain == null || chain.length == 0) {
            throw new PeerRejectedException("no " + side + " certificate presented");
        }
        if (chain.length > MAX_CHAIN_LENGTH) {
            throw new PeerRejectedException(side + " certificate chain is longer than " + MAX_CHAIN_LENGTH);
        }
        X509Certificate leaf = chain[0];
        try {
            CertPath path = CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf));
            PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
            parameters.setRevocationEnabled(false);
            parameters.setDate(Date.from(clock.instant()));
            CertPathValidator.getInstance("PKIX").validate(path, parameters);
        } catch (java.security.cert.CertPathValidatorException e) {
            throw new PeerRejectedException(side + " certificate " + Certificates.serialHex(leaf)
                    + " (" + leaf.getSubjectX500Principal().getName() + ") " + describe(e));
        } catch (GeneralSecurityException e) {
            throw new PeerRejectedException(side + " certificate could not be validated");
        }
        try {
            List<String> usages = leaf.getExtendedKeyUsage();
            if (usages == null || !usages.contains(eku)) {
                throw new PeerRejectedException(side + " certificate " + Certificates.serialHex(leaf)
                        + " is not issued for TLS " + side + " use");
            }
        } catch (CertificateException e) {
            throw new PeerRejectedException(side + " certificate has an unreadable key usage");
        }
        return Certificates.identity(leaf).orElseThrow(() -> new PeerRejectedException(
                side + " certificate " + Certificates.serialHex(leaf) + " carries no Portcullis identity"));
    }

    private static String describe(java.security.cert.CertPathValidatorException e) {
        if (e.getReason() == java.security.cert.CertPathValidatorException.BasicReason.EXPIRED) {
            return "has expired";
        }
        if (e.getReason() == java.security.cert.CertPathValidatorException.BasicReason.NOT_YET_VALID) {
            return "is not yet valid";
        }
        return "is not signed by the pinned Portcullis CA";
    }

    /** A peer certificate that must not be accepted; the message is safe to log. */
    public static final class PeerRejectedException extends Exception {
        private static final long serialVersionUID = 1L;

        public PeerRejectedException(String message) {
            super(message);
        }
    }
}
