package dev.portcullis.pki.cert;

import java.io.ByteArrayInputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/** Parsing and reading of X.509 certificates. */
public final class Certificates {

    /** Bound on a certificate received from a peer; ours are under 1 KiB. */
    public static final int MAX_DER_BYTES = 16 * 1024;
    private static final int SAN_URI = 6;

    private Certificates() {
    }

    public static X509Certificate parse(byte[] der) throws CertificateException {
        if (der == null || der.length == 0 || der.length > MAX_DER_BYTES) {
            throw new CertificateException("certificate is empty or larger than " + MAX_DER_BYTES + " bytes");
        }
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(der));
    }

    public static byte[] der(X509Certificate certificate) {
        try {
            return certificate.getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException("certificate cannot be encoded", e);
        }
    }

    public static String serialHex(X509Certificate certificate) {
        return HexFormat.of().formatHex(certificate.getSerialNumber().toByteArray());
    }

    /** The Portcullis identity in the certificate's URI SANs; empty if there is none or more than one. */
    public static Optional<PeerIdentity> identity(X509Certificate certificate) {
        List<String> uris = new ArrayList<>();
        try {
            Collection<List<?>> names = certificate.getSubjectAlternativeNames();
            if (names != null) {
                for (List<?> name : names) {
                    if (name.size() >= 2 && Integer.valueOf(SAN_URI).equals(name.get(0))
                            && name.get(1) instanceof String uri && uri.startsWith("urn:portcullis:")) {
                        uris.add(uri);
                    }
                }
            }
        } catch (CertificateParsingException e) {
            return Optional.empty();
        }
        return uris.size() == 1 ? Optional.of(new PeerIdentity(uris.get(0))) : Optional.empty();
    }
}
