package dev.portcullis.pki.cert;

import java.io.IOException;
import java.security.KeyPair;
import java.security.PublicKey;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * A PKCS#10 request whose self-signature has been checked. The only ways to get one are
 * {@link #create} on the host that owns the key and {@link #parse}, which refuses requests
 * that do not prove possession of their key.
 */
public final class CertificateRequest {

    /** Bound on what we parse from a peer; a P-256 CSR is about 250 bytes. */
    public static final int MAX_DER_BYTES = 4096;

    private final byte[] der;
    private final PublicKey publicKey;

    private CertificateRequest(byte[] der, PublicKey publicKey) {
        this.der = der;
        this.publicKey = publicKey;
    }

    /** Builds and signs a CSR with the key pair generated on this host. */
    public static CertificateRequest create(KeyPair keyPair, String commonName) {
        try {
            X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
            ContentSigner signer = new JcaContentSignerBuilder(KeyPairs.SIGNATURE_ALGORITHM).build(keyPair.getPrivate());
            PKCS10CertificationRequest request =
                    new JcaPKCS10CertificationRequestBuilder(subject, keyPair.getPublic()).build(signer);
            return new CertificateRequest(request.getEncoded(), keyPair.getPublic());
        } catch (OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot build a certificate request", e);
        }
    }

    /** Parses a CSR received from a peer and checks its self-signature. */
    public static CertificateRequest parse(byte[] der) throws InvalidRequestException {
        if (der == null || der.length == 0 || der.length > MAX_DER_BYTES) {
            throw new InvalidRequestException("certificate request is empty or larger than " + MAX_DER_BYTES + " bytes");
        }
        try {
            PKCS10CertificationRequest request = new PKCS10CertificationRequest(der.clone());
            if (!isP256(request.getSubjectPublicKeyInfo().getAlgorithm())) {
                throw new InvalidRequestException("certificate request must use an EC P-256 key");
            }
            PublicKey key = new JcaPEMKeyConverter().getPublicKey(request.getSubjectPublicKeyInfo());
            if (!request.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key))) {
                throw new InvalidRequestException("certificate request signature does not verify");
            }
            return new CertificateRequest(der.clone(), key);
        } catch (IOException | RuntimeException | OperatorCreationException | PKCSException e) {
            throw new InvalidRequestException("certificate request is malformed");
        }
    }

    /**
     * An EC key on the named curve P-256. Checking the algorithm alone would let P-384 (and any
     * other curve the JDK can decode) through, and explicit curve parameters are never acceptable.
     */
    private static boolean isP256(AlgorithmIdentifier algorithm) {
        return X9ObjectIdentifiers.id_ecPublicKey.equals(algorithm.getAlgorithm())
                && X9ObjectIdentifiers.prime256v1.equals(algorithm.getParameters());
    }

    public byte[] der() {
        return der.clone();
    }

    public PublicKey publicKey() {
        return publicKey;
    }

    /** A CSR the signer must refuse. The message is safe to log and to show. */
    public static final class InvalidRequestException extends Exception {
        private static final long serialVersionUID = 1L;

        public InvalidRequestException(String message) {
            super(message);
        }
    }
}
