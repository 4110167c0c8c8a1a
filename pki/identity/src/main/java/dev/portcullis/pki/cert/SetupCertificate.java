package dev.portcullis.pki.cert;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The self-signed certificate a component presents while it waits to be adopted. It proves
 * nothing by itself: it only carries the component's freshly generated public key so that core
 * can check that the CSR it receives over this TLS channel is for the key that terminates it.
 * It deliberately carries no Portcullis identity (no URI SAN), so no verifier can mistake it for
 * a CA-issued certificate, and it is never written to disk.
 */
public final class SetupCertificate {

    /**
     * Longer than any join token lives; a component still waiting after that needs a new token
     * anyway, and restarting it makes a new key and certificate.
     */
    public static final Duration LIFETIME = Duration.ofDays(30);
    /** Same skew allowance as CA-issued certificates: core may run a few minutes behind. */
    private static final Duration BACKDATE = Duration.ofMinutes(5);
    private static final SecureRandom RANDOM = new SecureRandom();

    private SetupCertificate() {
    }

    /**
     * Builds the certificate for a key pair generated on this host.
     *
     * @param keyPair     the component's new key pair; the private key only signs the certificate
     * @param description informational subject CN, e.g. "portcullis gateway awaiting adoption"
     * @param clock       time source for the validity period
     */
    public static X509Certificate create(KeyPair keyPair, String description, Clock clock) {
        Instant now = clock.instant();
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, "Portcullis").addRDN(BCStyle.CN, description).build();
        try {
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject,
                    new BigInteger(127, RANDOM).setBit(126), Date.from(now.minus(BACKDATE)),
                    Date.from(now.plus(LIFETIME)), subject, keyPair.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder(KeyPairs.SIGNATURE_ALGORITHM).build(keyPair.getPrivate())));
        } catch (CertIOException | OperatorCreationException | CertificateException e) {
            throw new IllegalStateException("cannot build the setup certificate", e);
        }
    }
}
