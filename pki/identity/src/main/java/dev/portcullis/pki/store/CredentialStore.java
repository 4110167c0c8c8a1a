package dev.portcullis.pki.store;

import dev.portcullis.pki.tls.KeyMaterial;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;

/**
 * A component's own credentials on its own disk: {@code key.pem} (owner-only), {@code cert.pem}
 * and {@code ca.pem}. The private key is generated on this host and never leaves it. Writes are
 * atomic (temporary file, then rename) so a crash leaves either the old or the new credentials.
 */
public final class CredentialStore {

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");

    private final Path directory;

    public CredentialStore(Path directory) {
        this.directory = directory;
    }

    public Path directory() {
        return directory;
    }

    /** The adopted credentials, if this component has been adopted. */
    public Optional<StoredCredentials> load() {
        Path key = directory.resolve("key.pem");
        Path cert = directory.resolve("cert.pem");
        Path ca = directory.resolve("ca.pem");
        if (!Files.exists(key) || !Files.exists(cert) || !Files.exists(ca)) {
            return Optional.empty();
        }
        try {
            PrivateKey privateKey = readKey(Files.readString(key));
            X509Certificate leaf = readCertificate(Files.readString(cert));
            X509Certificate caCert = readCertificate(Files.readString(ca));
            return Optional.of(new StoredCredentials(new KeyMaterial(privateKey, leaf, caCert), caCert));
        } catch (IOException | CertificateException e) {
            throw new UncheckedIOException(new IOException(
                    "credentials in " + directory + " are unreadable; remove the directory and adopt this component again"));
        }
    }

    public void save(KeyMaterial material, X509Certificate ca) {
        try {
            Files.createDirectories(directory);
            restrict(directory, OWNER_ONLY_DIR);
            writeAtomically("key.pem", pkcs8Pem(material.privateKey()));
            writeAtomically("cert.pem", pem(material.leaf()));
            writeAtomically("ca.pem", pem(ca));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write credentials to " + directory, e);
        }
    }

    /** Forgets this component's identity (after core revoked it). */
    public void wipe() {
        for (String name : new String[] {"key.pem", "cert.pem", "ca.pem"}) {
            Path file = directory.resolve(name);
            try {
                if (Files.exists(file)) {
                    long size = Files.size(file);
                    Files.write(file, new byte[(int) Math.min(size, 1 << 16)], StandardOpenOption.TRUNCATE_EXISTING);
                    Files.delete(file);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot remove " + file, e);
            }
        }
    }

    private void writeAtomically(String name, String content) throws IOException {
        Path target = directory.resolve(name);
        Path temporary = Files.createTempFile(directory, "." + name, ".tmp");
        try {
            restrict(temporary, OWNER_ONLY);
            Files.writeString(temporary, content, StandardCharsets.US_ASCII);
            try {
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    private static void restrict(Path path, Set<PosixFilePermission> permissions) throws IOException {
        try {
            Files.setPosixFilePermissions(path, permissions);
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system; the directory's own ACLs apply.
        }
    }

    public static String pem(Object object) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(object);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /**
     * PKCS#8 keeps the curve in the algorithm identifier. (SEC1 "EC PRIVATE KEY" of a JDK key
     * carries no curve parameters and cannot be read back.)
     */
    public static String pkcs8Pem(PrivateKey key) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(new JcaPKCS8Generator(key, null));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    public static X509Certificate readCertificate(String pem) throws IOException, CertificateException {
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object object = parser.readObject();
            if (!(object instanceof X509CertificateHolder holder)) {
                throw new CertificateException("not a PEM certificate");
            }
            return new JcaX509CertificateConverter().getCertificate(holder);
        }
    }

    public static PrivateKey readKey(String pem) throws IOException {
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object object = parser.readObject();
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            if (object instanceof PEMKeyPair pair) {
                return converter.getPrivateKey(pair.getPrivateKeyInfo());
            }
            if (object instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
            throw new IOException("not a PEM private key");
        }
    }

    /** What {@link #load} returns. */
    public record StoredCredentials(KeyMaterial keyMaterial, X509Certificate ca) {
        @Override
        public String toString() {
            return "StoredCredentials[" + keyMaterial + "]";
        }
    }
}
