package dev.portcullis.pki.authority;

import dev.portcullis.pki.cert.CaFingerprint;
import dev.portcullis.pki.cert.CertificateRequest;
import dev.portcullis.pki.cert.KeyPairs;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.tls.KeyMaterial;
import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Portcullis's internal CA. Only core holds one. It signs short-lived leaf certificates whose
 * identity is a URI SAN ({@link PeerIdentity}); the key usages say which side of TLS they serve.
 * The CA key is only ever persisted sealed ({@link #sealedKey}).
 */
public final class CertificateAuthority {

    /** Long enough that rotating the CA is a planned event; the CA key never leaves core. */
    public static final Duration CA_LIFETIME = Duration.ofDays(3650);
    /** Component certificates: short so that a stolen one expires on its own. */
    public static final Duration DEFAULT_LEAF_LIFETIME = Duration.ofDays(7);
    /** Backdating absorbs clock skew between core and a component. */
    private static final Duration BACKDATE = Duration.ofMinutes(5);
    private static final String SEAL_PURPOSE = "portcullis/ca-key/v1";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final X509Certificate certificate;
    private final PrivateKey privateKey;
    private final Clock clock;

    private CertificateAuthority(X509Certificate certificate, PrivateKey privateKey, Clock clock) {
        this.certificate = certificate;
        this.privateKey = privateKey;
        this.clock = clock;
    }

    /** Creates a new self-signed CA. */
    public static CertificateAuthority create(String name, Clock clock) {
        KeyPair keyPair = KeyPairs.generate();
        Instant now = clock.instant();
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, "Portcullis").addRDN(BCStyle.CN, name).build();
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial(),
                    Date.from(now.minus(BACKDATE)), Date.from(now.plus(CA_LIFETIME)), subject, keyPair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(keyPair.getPublic()));
            return new CertificateAuthority(sign(builder, keyPair.getPrivate()), keyPair.getPrivate(), clock);
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot create CA", e);
        }
    }

    /**
     * Restores a CA from its certificate and its sealed key.
     *
     * @throws Sealer.UnsealException   if the sealed key does not open (wrong master key, altered data)
     * @throws IllegalArgumentException if the key opens but is not the key of {@code certificate}: such a CA
     *                                  would sign certificates that no peer pinning {@code certificate} accepts
     */
    public static CertificateAuthority restore(X509Certificate certificate, byte[] sealedKey, Sealer sealer, Clock clock)
            throws Sealer.UnsealException {
        byte[] pkcs8 = sealer.open(SEAL_PURPOSE, sealedKey);
        PrivateKey key;
        try {
            key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException e) {
            throw new Sealer.UnsealException();
        } finally {
            java.util.Arrays.fill(pkcs8, (byte) 0);
        }
        if (!belongTogether(key, certificate.getPublicKey())) {
            throw new IllegalArgumentException("the sealed CA key does not belong to the CA certificate "
                    + CaFingerprint.of(certificate) + "; the stored certificate and key are from different CAs");
        }
        return new CertificateAuthority(certificate, key, clock);
    }

    /** Proof by signature: the only check that works for any key encoding. */
    private static boolean belongTogether(PrivateKey privateKey, PublicKey publicKey) {
        byte[] challenge = new byte[32];
        RANDOM.nextBytes(challenge);
        try {
            Signature signer = Signature.getInstance(KeyPairs.SIGNATURE_ALGORITHM);
            signer.initSign(privateKey);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(KeyPairs.SIGNATURE_ALGORITHM);
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    public byte[] sealedKey(Sealer sealer) {
        return sealer.seal(SEAL_PURPOSE, privateKey.getEncoded());
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /**
     * Signs a component's CSR. The certificate is for TLS server use (components serve, core
     * dials them) and carries the component's identity plus optional DNS/IP names of its address.
     */
    public X509Certificate issueComponent(CertificateRequest request, PeerIdentity identity, List<String> hostNames,
                                          Duration lifetime) {
        if (identity.isCore()) {
            throw new IllegalArgumentException("use issueCore for core's certificate");
        }
        return issue(request.publicKey(), identity, hostNames, lifetime, KeyPurposeId.id_kp_serverAuth);
    }

    /** Issues core's own client certificate for the key pair core generated. */
    public KeyMaterial issueCore(Duration lifetime) {
        KeyPair keyPair = KeyPairs.generate();
        X509Certificate leaf = issue(keyPair.getPublic(), PeerIdentity.core(), List.of(), lifetime,
                KeyPurposeId.id_kp_clientAuth);
        return new KeyMaterial(keyPair.getPrivate(), leaf, certificate);
    }

    private X509Certificate issue(PublicKey publicKey, PeerIdentity identity, List<String> hostNames, Duration lifetime,
                                  KeyPurposeId purpose) {
        Objects.requireNonNull(identity, "identity");
        if (lifetime.isNegative() || lifetime.isZero() || lifetime.compareTo(CA_LIFETIME) > 0) {
            throw new IllegalArgumentException("certificate lifetime must be positive and within the CA's");
        }
        Instant now = clock.instant();
        Instant notAfter = now.plus(lifetime);
        if (notAfter.isAfter(certificate.getNotAfter().toInstant())) {
            notAfter = certificate.getNotAfter().toInstant();
        }
        List<GeneralName> names = new ArrayList<>();
        names.add(new GeneralName(GeneralName.uniformResourceIdentifier, identity.uri()));
        for (String host : hostNames) {
            names.add(isIpLiteral(host) ? new GeneralName(GeneralName.iPAddress, host)
                    : new GeneralName(GeneralName.dNSName, host));
        }
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "Portcullis")
                .addRDN(BCStyle.CN, identity.uri()).build();
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(certificate, serial(),
                    Date.from(now.minus(BACKDATE)), Date.from(notAfter), subject, publicKey)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose))
                    .addExtension(Extension.subjectAlternativeName, false,
                            new GeneralNames(names.toArray(new GeneralName[0])))
                    .addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(certificate))
                    .addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(publicKey));
            return sign(builder, privateKey);
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot issue certificate", e);
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key) throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder(KeyPairs.SIGNATURE_ALGORITHM).build(key)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("cannot sign", e);
        }
    }

    /** 127 random bits: unique and unpredictable serials. */
    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).setBit(126);
    }

    private static boolean isIpLiteral(String host) {
        return host.matches("[0-9.]+") || host.contains(":");
    }

    @Override
    public String toString() {
        return "CertificateAuthority[" + certificate.getSubjectX500Principal().getName() + ", key=<redacted>]";
    }
}
