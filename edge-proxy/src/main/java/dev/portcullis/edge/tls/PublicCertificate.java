package dev.portcullis.edge.tls;

import dev.portcullis.pki.cert.KeyPairs;
import dev.portcullis.pki.store.CredentialStore;
import dev.portcullis.pki.tls.KeyMaterial;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The certificate users' browsers and agents see. Either the operator's (PEM files, e.g. from a
 * public CA) or, when none is given, an ephemeral self-signed one made in memory at start: the
 * proxy keeps nothing at rest, so a restart makes a new one (agents pin by fingerprint).
 */
public final class PublicCertificate {

    /** Ephemeral certificates outlive any sensible uptime; a restart replaces them anyway. */
    public static final Duration EPHEMERAL_LIFETIME = Duration.ofDays(365);
    /** Absorbs clock skew between the proxy and its users. */
    private static final Duration BACKDATE = Duration.ofMinutes(5);
    /** Bound on a PEM file we read: a long chain is a few KiB. */
    private static final long MAX_PEM_BYTES = 1024 * 1024;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final KeyMaterial material;
    private final boolean ephemeral;

    private PublicCertificate(KeyMaterial material, boolean ephemeral) {
        this.material = material;
        this.ephemeral = ephemeral;
    }

    /** Loads the operator's certificate chain (leaf first) and unencrypted private key. */
    public static PublicCertificate load(Path certificatePem, Path keyPem, Clock clock) throws UnusableCertificateException {
        List<X509Certificate> chain = readChain(certificatePem);
        PrivateKey key = readKey(keyPem);
        X509Certificate leaf = chain.get(0);
        if (!keyMatches(key, leaf)) {
            throw new UnusableCertificateException("the key in " + keyPem + " does not belong to the certificate in " + certificatePem);
        }
        Instant now = clock.instant();
        if (now.isAfter(leaf.getNotAfter().toInstant())) {
            throw new UnusableCertificateException("the certificate in " + certificatePem + " expired on " + leaf.getNotAfter().toInstant());
        }
        if (now.isBefore(leaf.getNotBefore().toInstant())) {
            throw new UnusableCertificateException("the certificate in " + certificatePem + " is not valid before " + leaf.getNotBefore().toInstant());
        }
        return new PublicCertificate(new KeyMaterial(key, chain.toArray(new X509Certificate[0])), false);
    }

    /** Makes a self-signed EC P-256 certificate for localhost, the loopback addresses and {@code extraNames}. */
    public static PublicCertificate ephemeral(Set<String> extraNames, Clock clock) {
        KeyPair keyPair = KeyPairs.generate();
        Set<String> names = new LinkedHashSet<>(List.of("localhost", "127.0.0.1", "::1"));
        names.addAll(extraNames);
        List<GeneralName> sans = new ArrayList<>();
        for (String name : names) {
            sans.add(isIpLiteral(name) ? new GeneralName(GeneralName.iPAddress, name) : new GeneralName(GeneralName.dNSName, name));
        }
        Instant now = clock.instant();
        X500Name subject = new X500Name("CN=Portcullis edge-proxy (ephemeral)");
        try {
            X509CertificateHolder holder = new JcaX509v3CertificateBuilder(subject, new BigInteger(127, RANDOM).setBit(126),
                    Date.from(now.minus(BACKDATE)), Date.from(now.plus(EPHEMERAL_LIFETIME)), subject, keyPair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(new GeneralName[0])))
                    .build(new JcaContentSignerBuilder(KeyPairs.SIGNATURE_ALGORITHM).build(keyPair.getPrivate()));
            X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(holder);
            return new PublicCertificate(new KeyMaterial(keyPair.getPrivate(), certificate), true);
        } catch (IOException | OperatorCreationException | CertificateException e) {
            throw new IllegalStateException("cannot make an ephemeral certificate", e);
        }
    }

    public KeyMaterial keyMaterial() {
        return material;
    }

    public X509Certificate leaf() {
        return material.leaf();
    }

    public boolean isEphemeral() {
        return ephemeral;
    }

    /** SHA-256 over the leaf certificate, as {@code openssl x509 -fingerprint -sha256} prints it. */
    public String sha256Fingerprint() {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(leaf().getEncoded());
            String hex = HexFormat.ofDelimiter(":").formatHex(digest);
            return hex.toUpperCase(Locale.ROOT);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot fingerprint certificate", e);
        }
    }

    /** An in-memory PKCS#12 key store holding the key and chain, protected by {@code password}. */
    public KeyStore keyStore(char[] password) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("public", material.privateKey(), password, material.chain());
            return store;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build the public key store", e);
        }
    }

    @Override
    public String toString() {
        return "PublicCertificate[" + leaf().getSubjectX500Principal().getName() + (ephemeral ? ", ephemeral" : "") + ", key=<redacted>]";
    }

    private static List<X509Certificate> readChain(Path file) throws UnusableCertificateException {
        List<X509Certificate> chain = new ArrayList<>();
        try (PEMParser parser = new PEMParser(new StringReader(readBounded(file)))) {
            JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
            for (Object object = parser.readObject(); object != null; object = parser.readObject()) {
                if (object instanceof X509CertificateHolder holder) {
                    chain.add(converter.getCertificate(holder));
                }
            }
        } catch (IOException | CertificateException e) {
            throw new UnusableCertificateException(file + " is not a PEM certificate chain");
        }
        if (chain.isEmpty()) {
            throw new UnusableCertificateException(file + " holds no PEM certificate");
        }
        return chain;
    }

    private static PrivateKey readKey(Path file) throws UnusableCertificateException {
        try {
            return CredentialStore.readKey(readBounded(file));
        } catch (IOException | RuntimeException e) {
            throw new UnusableCertificateException(file + " is not an unencrypted PEM private key");
        }
    }

    private static String readBounded(Path file) throws UnusableCertificateException {
        try {
            if (Files.size(file) > MAX_PEM_BYTES) {
                throw new UnusableCertificateException(file + " is larger than " + MAX_PEM_BYTES + " bytes");
            }
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw new UnusableCertificateException(file + " does not exist");
        } catch (IOException e) {
            throw new UnusableCertificateException("cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** Proves the pair by signing and verifying, which works for every key type the JDK knows. */
    private static boolean keyMatches(PrivateKey key, X509Certificate leaf) {
        String algorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            default -> null;
        };
        if (algorithm == null) {
            return false;
        }
        try {
            byte[] probe = new byte[32];
            RANDOM.nextBytes(probe);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(leaf.getPublicKey());
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static boolean isIpLiteral(String name) {
        if (name.contains(":")) {
            return true;
        }
        if (!name.matches("[0-9.]+")) {
            return false;
        }
        try {
            return InetAddress.getByName(name) != null;
        } catch (IOException e) {
            return false;
        }
    }

    /** The operator's certificate or key cannot be served; the message names the file and what is wrong. */
    public static final class UnusableCertificateException extends Exception {
        private static final long serialVersionUID = 1L;

        public UnusableCertificateException(String message) {
            super(message);
        }
    }
}
