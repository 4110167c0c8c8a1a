package dev.portcullis.core.ca;

import dev.portcullis.core.error.StartupRefusedException;
import dev.portcullis.core.store.Database;
import dev.portcullis.pki.authority.CertificateAuthority;
import dev.portcullis.pki.authority.MasterKey;
import dev.portcullis.pki.authority.Sealer;
import dev.portcullis.pki.cert.CaFingerprint;
import dev.portcullis.pki.cert.Certificates;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings up core's CA: on the first start creates it and stores its certificate with its key
 * sealed under the master key; on later starts restores it. A master key that does not open the
 * stored CA stops core with an explanation rather than a stack trace.
 */
public final class CaBootstrap {

    private static final Logger LOG = LoggerFactory.getLogger(CaBootstrap.class);
    static final String CA_NAME = "Portcullis core CA";

    private CaBootstrap() {
    }

    public static CertificateAuthority loadOrCreate(Database database, MasterKeyFile keyFile, Clock clock) {
        Optional<StoredCa> stored = load(database);
        if (stored.isPresent()) {
            return restore(stored.get(), keyFile, clock);
        }
        MasterKey masterKey = keyFile.exists() ? keyFile.read() : keyFile.create();
        CertificateAuthority created = CertificateAuthority.create(CA_NAME, clock);
        boolean inserted = database.inTransaction(connection -> {
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO ca (id, certificate_der, sealed_key, created_at) VALUES (1, ?, ?, ?) ON CONFLICT (id) DO NOTHING")) {
                insert.setBytes(1, Certificates.der(created.certificate()));
                insert.setBytes(2, created.sealedKey(new Sealer(masterKey)));
                insert.setTimestamp(3, Timestamp.from(clock.instant()));
                return insert.executeUpdate() == 1;
            }
        });
        if (!inserted) {
            // Another core instance created the CA at the same moment; use that one.
            return restore(load(database).orElseThrow(), keyFile, clock);
        }
        LOG.info("created the CA {} (key sealed with {})", CaFingerprint.of(created.certificate()), keyFile.path());
        return created;
    }

    private static CertificateAuthority restore(StoredCa stored, MasterKeyFile keyFile, Clock clock) {
        MasterKey masterKey = keyFile.read();
        try {
            CertificateAuthority ca = CertificateAuthority.restore(stored.certificate(), stored.sealedKey(),
                    new Sealer(masterKey), clock);
            LOG.info("CA {} restored", CaFingerprint.of(ca.certificate()));
            return ca;
        } catch (Sealer.UnsealException e) {
            throw new StartupRefusedException("the master key in " + keyFile.path() + " does not open the CA stored in "
                    + "the database: this database was set up with a different master key. Restore the original master "
                    + "key file (or point portcullis.master-key-file at it); core will not start with the wrong key.");
        } catch (IllegalArgumentException e) {
            throw new StartupRefusedException("the CA key stored in the database does not belong to the CA certificate "
                    + "stored with it: the ca row was altered or corrupted. Restore the database from a backup; "
                    + "core will not start with a CA it cannot sign for.");
        }
    }

    private static Optional<StoredCa> load(Database database) {
        return database.inTransaction(connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT certificate_der, sealed_key FROM ca WHERE id = 1");
                 ResultSet rs = select.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                try {
                    return Optional.of(new StoredCa(Certificates.parse(rs.getBytes(1)), rs.getBytes(2)));
                } catch (CertificateException e) {
                    throw new StartupRefusedException("the CA certificate stored in the database cannot be parsed", e);
                }
            }
        });
    }

    private record StoredCa(X509Certificate certificate, byte[] sealedKey) {
    }
}
