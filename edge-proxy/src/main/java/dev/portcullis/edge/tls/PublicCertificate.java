package dev.portcullis.edge.tls;

import dev.portcullis.pki.cert.KeyPairs;
import dev.portcullis.pki.enroll.TrustAnchorPin;
import dev.portcullis.pki.store.CredentialStore;
import dev.portcullis.pki.tls.KeyMaterial;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
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
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
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
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificate users' browsers and agents see. Either the operator's (PEM files, e.g. from a
 * public CA) or, when none is given, a self-signed one this proxy makes and keeps in its state
 * directory ({@value #SELF_SIGNED_FILE}, owner-only) so that it survives restarts: agents pin the
 * SHA-256 of the topmost certificate of the presented chain ({@link #trustAnchorPin()}) from their
 * invite link, and a new certificate would break every agent that pinned the old one.
 */
public final class PublicCertificate {

    /**
     * A self-signed certificate is what agents pin, so replacing it means enrolling them again: it
     * lives as long as clients accept a TLS server certificate at all. 825 days is Apple's limit for
     * server certificates from any CA, including self-signed ones a user trusts.
     */
    public static final Duration SELF_SIGNED_LIFETIME = Duration.ofDays(825);
    /** A stored self-signed certificate with less than this left is replaced at start, not while serving. */
    public static final Duration SELF_SIGNED_RENEW_BEFORE = Duration.ofDays(30);
    /** The self-signed key and certificate in one PEM file (one file, so they are replaced together, atomically). */
    public static final String SELF_SIGNED_FILE = "public-tls.pem";
    /** Absorbs clock skew between the proxy and its users. */
    private static final Duration BACKDATE = Duration.ofMinutes(5);
    /** Bound on a PEM file we read: a long chain is a few KiB. */
    private static final long MAX_PEM_BYTES = 1024 * 1024;
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_ONLY_DIRECTORY = PosixFilePermissions.fromString("rwx------");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Logger LOG = LoggerFactory.getLogger(PublicCertificate.class);

    private final KeyMaterial material;
    private final boolean selfSigned;

    private PublicCertificate(KeyMaterial material, boolean selfSigned) {
        this.material = material;
        this.selfSigned = selfSigned;
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

    /**
     * The self-signed certificate kept in {@code stateDirectory}: the stored one if it is still
     * valid for more than {@link #SELF_SIGNED_RENEW_BEFORE} and covers localhost, the loopback
     * addresses and {@code extraNames}; otherwise a new one, stored for the next start. A stored
     * file that cannot be read, or whose key does not match, is refused rather than replaced: a
     * silent replacement would change the pin every enrolled agent holds.
     */
    public static PublicCertificate selfSigned(Path stateDirectory, Set<String> extraNames, Clock clock)
            throws UnusableCertificateException {
        Path file = stateDirectory.resolve(SELF_SIGNED_FILE);
        Set<String> names = names(extraNames);
        if (Files.exists(file)) {
            PublicCertificate stored = readSelfSigned(file);
            String unusable = whyNotReusable(stored.leaf(), names, clock.instant());
            if (unusable == null) {
                return stored;
            }
            LOG.warn("replacing the self-signed public certificate in {}: {}. Its pin changes: invite links already sent "
                    + "carry the old one, and agents that pinned it must be enrolled again", file, unusable);
        }
        PublicCertificate made = ephemeral(extraNames, clock);
        writeOwnerOnly(stateDirectory, file, CredentialStore.pkcs8Pem(made.material.privateKey()) + CredentialStore.pem(made.leaf()));
        return made;
    }

    /**
     * Makes a self-signed EC P-256 certificate for localhost, the loopback addresses and
     * {@code extraNames}, in memory only (tests; {@link #selfSigned} stores what it makes).
     */
    public static PublicCertificate ephemeral(Set<String> extraNames, Clock clock) {
        KeyPair keyPair = KeyPairs.generate();
        List<GeneralName> sans = new ArrayList<>();
        for (String name : names(extraNames)) {
            sans.add(isIpLiteral(name) ? new GeneralName(GeneralName.iPAddress, name) : new GeneralName(GeneralName.dNSName, name));
        }
        Instant now = clock.instant();
        X500Name subject = new X500Name("CN=Portcullis edge-proxy (self-signed)");
        try {
            X509CertificateHolder holder = new JcaX509v3CertificateBuilder(subject, new BigInteger(127, RANDOM).setBit(126),
                    Date.from(now.minus(BACKDATE)), Date.from(now.plus(SELF_SIGNED_LIFETIME)), subject, keyPair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(new GeneralName[0])))
                    .build(new JcaContentSignerBuilder(KeyPairs.SIGNATURE_ALGORITHM).build(keyPair.getPrivate()));
            X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(holder);
            return new PublicCertificate(new KeyMaterial(keyPair.getPrivate(), certificate), true);
        } catch (IOException | OperatorCreationException | CertificateException e) {
            throw new IllegalStateException("cannot make a self-signed certificate", e);
        }
    }

    public KeyMaterial keyMaterial() {
        return material;
    }

    public X509Certificate leaf() {
        return material.leaf();
    }

    /** Made by this proxy (not the operator's). */
    public boolean isSelfSigned() {
        return selfSigned;
    }

    /**
     * SHA-256 over the DER of the topmost certificate of the chain the public listener presents:
     * what invite links carry as {@code #ca=} and agents pin (enrollment/API.md). For a self-signed
     * certificate that is the certificate itself.
     */
    public byte[] trustAnchorPin() {
        return TrustAnchorPin.of(material.chain());
    }

    /** {@link #trustAnchorPin()} as an invite link writes it (base64url, no padding). */
    public String trustAnchorPinText() {
        return TrustAnchorPin.encode(trustAnchorPin());
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
        return "PublicCertificate[" + leaf().getSubjectX500Principal().getName() + (selfSigned ? ", self-signed" : "") + ", key=<redacted>]";
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

    private static Set<String> names(Set<String> extraNames) {
        Set<String> names = new LinkedHashSet<>(List.of("localhost", "127.0.0.1", "::1"));
        names.addAll(extraNames);
        return names;
    }

    /** Null if the stored certificate can serve on; otherwise why not, for the log. */
    private static String whyNotReusable(X509Certificate stored, Set<String> names, Instant now) {
        if (now.isBefore(stored.getNotBefore().toInstant())) {
            return "it is not valid before " + stored.getNotBefore().toInstant();
        }
        if (now.plus(SELF_SIGNED_RENEW_BEFORE).isAfter(stored.getNotAfter().toInstant())) {
            return "it expires on " + stored.getNotAfter().toInstant();
        }
        Set<String> covered = new LinkedHashSet<>();
        try {
            if (stored.getSubjectAlternativeNames() != null) {
                for (List<?> name : stored.getSubjectAlternativeNames()) {
                    covered.add(canonical(String.valueOf(name.get(1))));
                }
            }
        } catch (CertificateException e) {
            return "its names cannot be read";
        }
        for (String name : names) {
            if (!covered.contains(canonical(name))) {
                return "it does not cover " + name;
            }
        }
        return null;
    }

    /** IP literals compared by value ("::1" and "0:0:0:0:0:0:0:1" are one address), names case-insensitively. */
    private static String canonical(String name) {
        if (isIpLiteral(name)) {
            try {
                return InetAddress.getByName(name).getHostAddress();
            } catch (IOException e) {
                return name;
            }
        }
        return name.toLowerCase(Locale.ROOT);
    }

    private static PublicCertificate readSelfSigned(Path file) throws UnusableCertificateException {
        String hint = "; remove it to make a new self-signed certificate (agents that pinned the old one must then be enrolled again)";
        PrivateKey key = null;
        X509Certificate certificate = null;
        try (PEMParser parser = new PEMParser(new StringReader(readBounded(file)))) {
            JcaPEMKeyConverter keys = new JcaPEMKeyConverter();
            for (Object object = parser.readObject(); object != null; object = parser.readObject()) {
                if (object instanceof PrivateKeyInfo info && key == null) {
                    key = keys.getPrivateKey(info);
                } else if (object instanceof PEMKeyPair pair && key == null) {
                    key = keys.getPrivateKey(pair.getPrivateKeyInfo());
                } else if (object instanceof X509CertificateHolder holder && certificate == null) {
                    certificate = new JcaX509CertificateConverter().getCertificate(holder);
                }
            }
        } catch (IOException | CertificateException e) {
            throw new UnusableCertificateException(file + " is not a PEM private key and certificate" + hint);
        }
        if (key == null || certificate == null) {
            throw new UnusableCertificateException(file + " does not hold both a private key and a certificate" + hint);
        }
        if (!keyMatches(key, certificate)) {
            throw new UnusableCertificateException("the key in " + file + " does not belong to its certificate" + hint);
        }
        return new PublicCertificate(new KeyMaterial(key, certificate), true);
    }

    /** Directory 0700, file 0600, written to a temporary file first and renamed over the old one. */
    private static void writeOwnerOnly(Path directory, Path file, String content) throws UnusableCertificateException {
        try {
            Files.createDirectories(directory);
            restrict(directory, OWNER_ONLY_DIRECTORY);
            Path temporary = Files.createTempFile(directory, "." + file.getFileName(), ".tmp");
            try {
                restrict(temporary, OWNER_ONLY);
                Files.writeString(temporary, content, StandardCharsets.US_ASCII);
                try {
                    Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(temporary);
            }
        } catch (IOException e) {
            throw new UnusableCertificateException("cannot store the self-signed public certificate in " + directory
                    + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    private static void restrict(Path path, Set<PosixFilePermission> permissions) throws IOException {
        try {
            Files.setPosixFilePermissions(path, permissions);
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system; the directory's own ACLs apply.
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
