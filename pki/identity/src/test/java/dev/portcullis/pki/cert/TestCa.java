package dev.portcullis.pki.cert;

import dev.portcullis.pki.tls.KeyMaterial;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A stand-in CA for tests of the identity module, which may not depend on the authority module.
 * Builds certificates directly with BouncyCastle, including deliberately bad ones (wrong usage,
 * no identity, two identities, outside their validity, a "CA" that is not a CA).
 */
public final class TestCa {

    /** The fixed "now" of every test that uses this CA; certificates are valid around it. */
    public static final Instant NOW = Instant.parse("2026-01-10T12:00:00Z");
    public static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    public static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

    private static final AtomicLong SERIALS = new AtomicLong(1000);

    private final KeyPair keyPair;
    private final X509Certificate certificate;

    private TestCa(KeyPair keyPair, X509Certificate certificate) {
        this.keyPair = keyPair;
        this.certificate = certificate;
    }

    /** A proper CA certificate, valid for a year around {@link #NOW}. */
    public static TestCa create(String name) {
        return selfSigned(name, true);
    }

    /**
     * A self-signed certificate whose basic constraints say it is NOT a CA, yet whose key signs
     * leaves: what an attacker who can get any certificate's fingerprint pinned would present.
     */
    public static TestCa notACa(String name) {
        return selfSigned(name, false);
    }

    private static TestCa selfSigned(String name, boolean isCa) {
        KeyPair keyPair = KeyPairs.generate();
        X500Name subject = new X500Name("O=Portcullis,CN=" + name);
        try {
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, nextSerial(),
                    Date.from(NOW.minus(Duration.ofDays(1))), Date.from(NOW.plus(Duration.ofDays(365))), subject,
                    keyPair.getPublic());
            if (isCa) {
                builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                        .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            } else {
                builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                        .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyCertSign));
            }
            return new TestCa(keyPair, sign(builder, keyPair.getPrivate()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public X509Certificate certificate() {
        return certificate;
    }

    public KeyPair keyPair() {
        return keyPair;
    }

    public CaFingerprint fingerprint() {
        return CaFingerprint.of(certificate);
    }

    /** A leaf for TLS server use carrying {@code identity}, valid for a week from an hour before {@link #NOW}. */
    public Issued server(PeerIdentity identity) {
        return leaf().uri(identity.uri()).extendedKeyUsage(SERVER_AUTH).issue();
    }

    /** A leaf for TLS client use carrying {@code identity}. */
    public Issued client(PeerIdentity identity) {
        return leaf().uri(identity.uri()).extendedKeyUsage(CLIENT_AUTH).issue();
    }

    /** A leaf with nothing set: no SANs, no extended key usage; add what the test needs. */
    public LeafBuilder leaf() {
        return new LeafBuilder();
    }

    private static BigInteger nextSerial() {
        return BigInteger.valueOf(SERIALS.incrementAndGet());
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key) throws Exception {
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder(KeyPairs.SIGNATURE_ALGORITHM).build(key)));
    }

    /** Builds one leaf certificate signed by this CA's key. */
    public final class LeafBuilder {
        private final List<GeneralName> names = new ArrayList<>();
        private final List<KeyPurposeId> usages = new ArrayList<>();
        private KeyPair subjectKey = KeyPairs.generate();
        private Instant notBefore = NOW.minus(Duration.ofHours(1));
        private Instant notAfter = NOW.plus(Duration.ofDays(7));

        public LeafBuilder uri(String uri) {
            names.add(new GeneralName(GeneralName.uniformResourceIdentifier, uri));
            return this;
        }

        public LeafBuilder dns(String host) {
            names.add(new GeneralName(GeneralName.dNSName, host));
            return this;
        }

        public LeafBuilder extendedKeyUsage(String oid) {
            usages.add(KeyPurposeId.getInstance(new org.bouncycastle.asn1.ASN1ObjectIdentifier(oid)));
            return this;
        }

        public LeafBuilder validity(Instant from, Instant until) {
            this.notBefore = from;
            this.notAfter = until;
            return this;
        }

        public LeafBuilder key(KeyPair keyPair) {
            this.subjectKey = keyPair;
            return this;
        }

        public Issued issue() {
            try {
                X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(certificate, nextSerial(),
                        Date.from(notBefore), Date.from(notAfter), new X500Name("O=Portcullis,CN=test leaf"),
                        subjectKey.getPublic())
                        .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                        .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
                if (!usages.isEmpty()) {
                    builder.addExtension(Extension.extendedKeyUsage, false,
                            new ExtendedKeyUsage(usages.toArray(new KeyPurposeId[0])));
                }
                if (!names.isEmpty()) {
                    builder.addExtension(Extension.subjectAlternativeName, false,
                            new GeneralNames(names.toArray(new GeneralName[0])));
                }
                return new Issued(subjectKey, sign(builder, keyPair.getPrivate()), certificate);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** A leaf, its key pair and the certificate of the CA that signed it. */
    public record Issued(KeyPair keyPair, X509Certificate certificate, X509Certificate issuer) {

        /** Leaf then CA, as a TLS peer presents it. */
        public X509Certificate[] chain() {
            return new X509Certificate[] {certificate, issuer};
        }

        public KeyMaterial keyMaterial() {
            return new KeyMaterial(keyPair.getPrivate(), chain());
        }
    }
}
