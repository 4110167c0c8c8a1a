package dev.portcullis.protocol.link;

import dev.portcullis.pki.cert.KeyPairs;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.tls.KeyMaterial;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
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
 * A CA for tests that issues what Portcullis's CertificateAuthority never would: client
 * certificates for component identities, server certificates for core. Pinning it (by a token's
 * fingerprint, or as the stored CA) lets a test reach the identity check behind the chain check.
 */
final class ForgingAuthority {

    private static final SecureRandom RANDOM = new SecureRandom();
    private final KeyPair keyPair = KeyPairs.generate();
    final X509Certificate certificate;

    ForgingAuthority() {
        X500Name name = new X500Name("O=Portcullis,CN=forging test CA");
        this.certificate = sign(new JcaX509v3CertificateBuilder(name, serial(), Date.from(Instant.now().minusSeconds(300)),
                Date.from(Instant.now().plus(Duration.ofDays(1))), name, keyPair.getPublic()), true, null, null);
    }

    /** A client certificate (TLS client use) for any identity, with a fresh key. */
    KeyMaterial clientFor(PeerIdentity identity) {
        KeyPair leafKey = KeyPairs.generate();
        return new KeyMaterial(leafKey.getPrivate(), issue(leafKey.getPublic(), identity, KeyPurposeId.id_kp_clientAuth),
                certificate);
    }

    X509Certificate issue(PublicKey key, PeerIdentity identity, KeyPurposeId purpose) {
        X500Name subject = new X500Name("O=Portcullis,CN=" + identity.uri().replace(":", "-"));
        return sign(new JcaX509v3CertificateBuilder(certificate, serial(), Date.from(Instant.now().minusSeconds(300)),
                Date.from(Instant.now().plus(Duration.ofDays(1))), subject, key), false, identity, purpose);
    }

    private X509Certificate sign(X509v3CertificateBuilder builder, boolean isCa, PeerIdentity identity,
                                 KeyPurposeId purpose) {
        try {
            if (isCa) {
                builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                        .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign));
            } else {
                builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                        .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                        .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose))
                        .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(
                                new GeneralName(GeneralName.uniformResourceIdentifier, identity.uri())));
            }
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder(KeyPairs.SIGNATURE_ALGORITHM).build(keyPair.getPrivate())));
        } catch (Exception e) {
            throw new IllegalStateException("cannot forge certificate", e);
        }
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).setBit(126);
    }
}
