package dev.portcullis.pki.enroll;

import dev.portcullis.pki.cert.KeyPairs;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyStore;
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
 * Certificates for TLS tests of enrollment, valid around the real "now" (JSSE on the server side
 * uses the real clock): a self-signed server certificate like the edge-proxy's ephemeral one, a CA,
 * and leaves issued by it, including deliberately bad ones.
 */
final class TestCertificates {

    private static final AtomicLong SERIALS = new AtomicLong(5000);

    private TestCertificates() {
    }

    /** A key pair and the chain (leaf first) a server presents with it. */
    record Server(KeyPair keyPair, X509Certificate... chain) {

        X509Certificate leaf() {
            return chain[0];
        }

        byte[] pin() {
            return TrustAnchorPin.of(chain);
        }

        KeyStore keyStore(char[] password) {
            try {
                KeyStore store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                store.setKeyEntry("server", keyPair.getPrivate(), password, chain);
                return store;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    static Builder certificate(String commonName) {
        return new Builder(commonName);
    }

    /** Builds one certificate, self-signed unless {@link #issuedBy} names an issuer. */
    static final class Builder {
        private final String commonName;
        private final List<GeneralName> names = new ArrayList<>();
        private Instant notBefore = Instant.now().minus(Duration.ofHours(1));
        private Instant notAfter = Instant.now().plus(Duration.ofDays(30));
        private boolean ca;
        private boolean serverUsage = true;
        private Server issuer;

        private Builder(String commonName) {
            this.commonName = commonName;
        }

        Builder dns(String name) {
            names.add(new GeneralName(GeneralName.dNSName, name));
            return this;
        }

        Builder ip(String address) {
            names.add(new GeneralName(GeneralName.iPAddress, address));
            return this;
        }

        Builder validity(Instant from, Instant until) {
            notBefore = from;
            notAfter = until;
            return this;
        }

        Builder ca() {
            ca = true;
            serverUsage = false;
            return this;
        }

        Builder clientUsageOnly() {
            serverUsage = false;
            return this;
        }

        Builder issuedBy(Server issuer) {
            this.issuer = issuer;
            return this;
        }

        Server build() {
            KeyPair keyPair = KeyPairs.generate();
            X500Name subject = new X500Name("O=Portcullis test,CN=" + commonName);
            X500Name issuerName = issuer == null ? subject
                    : X500Name.getInstance(issuer.leaf().getSubjectX500Principal().getEncoded());
            PrivateKey signer = issuer == null ? keyPair.getPrivate() : issuer.keyPair().getPrivate();
            try {
                X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuerName,
                        BigInteger.valueOf(SERIALS.incrementAndGet()), Date.from(notBefore), Date.from(notAfter), subject,
                        keyPair.getPublic());
                if (ca) {
                    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(1))
                            .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
                } else {
                    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                            .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyCertSign))
                            .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                                    serverUsage ? KeyPurposeId.id_kp_serverAuth : KeyPurposeId.id_kp_clientAuth));
                }
                if (!names.isEmpty()) {
                    builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(new GeneralName[0])));
                }
                X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
                        builder.build(new JcaContentSignerBuilder(KeyPairs.SIGNATURE_ALGORITHM).build(signer)));
                List<X509Certificate> chain = new ArrayList<>();
                chain.add(certificate);
                if (issuer != null) {
                    chain.addAll(List.of(issuer.chain()));
                }
                return new Server(keyPair, chain.toArray(new X509Certificate[0]));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
