package dev.portcullis.core.audit;

import dev.portcullis.core.error.StartupRefusedException;
import dev.portcullis.core.store.Database;
import dev.portcullis.pki.authority.Sealer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.util.Arrays;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Core's audit signing key (Ed25519): signs checkpoints and archive segment manifests. Generated on
 * first use and stored only sealed (AES-256-GCM under the master key, purpose {@value #SEAL_PURPOSE}),
 * so a copy of the database cannot re-sign a rewritten log. The private half never leaves this
 * object: no accessor, and {@link #toString()} names the key id only.
 */
public final class AuditSigningKey {

    private static final Logger LOG = LoggerFactory.getLogger(AuditSigningKey.class);
    static final String SEAL_PURPOSE = "audit-signing-key";
    /** Signed and verified at load: proves the stored public key belongs to the sealed private key. */
    private static final byte[] SELF_TEST = "portcullis-audit-key-self-test".getBytes(StandardCharsets.US_ASCII);

    private final PrivateKey privateKey;
    private final AuditPublicKey publicKey;

    private AuditSigningKey(PrivateKey privateKey, AuditPublicKey publicKey) {
        this.privateKey = privateKey;
        this.publicKey = publicKey;
    }

    /** A new key held in memory only (tests, benchmarks). */
    static AuditSigningKey generate() {
        try {
            KeyPair pair = KeyPairGenerator.getInstance(AuditPublicKey.ALGORITHM).generateKeyPair();
            return new AuditSigningKey(pair.getPrivate(), AuditPublicKey.of(pair.getPublic()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 is not available", e);
        }
    }

    /**
     * The current key from the database, unsealed with {@code sealer}; on first use a new one, stored
     * sealed. A key that does not open, or whose stored public half does not match it, stops core:
     * checkpoints signed by it could not be trusted.
     */
    public static AuditSigningKey loadOrCreate(Database database, Sealer sealer, Clock clock) {
        Optional<AuditSigningKey> stored = load(database, sealer);
        if (stored.isPresent()) {
            return stored.get();
        }
        AuditSigningKey created = generate();
        byte[] pkcs8 = created.privateKey.getEncoded();
        byte[] sealed;
        try {
            sealed = sealer.seal(SEAL_PURPOSE, pkcs8);
        } finally {
            Arrays.fill(pkcs8, (byte) 0);
        }
        boolean inserted = database.inTransaction(connection -> {
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO audit_signing_key "
                    + "(key_id, public_key, sealed_private_key, created_at, is_current) VALUES (?, ?, ?, ?, true) "
                    + "ON CONFLICT DO NOTHING")) {
                insert.setString(1, created.keyId());
                insert.setBytes(2, created.publicKey.der());
                insert.setBytes(3, sealed);
                insert.setObject(4, Database.timestamp(clock.instant()));
                return insert.executeUpdate() == 1;
            }
        });
        if (!inserted) {
            // Another core instance created the key at the same moment: use that one.
            return load(database, sealer).orElseThrow();
        }
        LOG.info("created the audit signing key {} (sealed under the master key)", created.keyId());
        return created;
    }

    private static Optional<AuditSigningKey> load(Database database, Sealer sealer) {
        Optional<byte[][]> row = database.inTransaction(connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT public_key, sealed_private_key FROM audit_signing_key WHERE is_current");
                 ResultSet rs = select.executeQuery()) {
                return rs.next() ? Optional.of(new byte[][] {rs.getBytes(1), rs.getBytes(2)}) : Optional.empty();
            }
        });
        if (row.isEmpty()) {
            return Optional.empty();
        }
        byte[] pkcs8;
        try {
            pkcs8 = sealer.open(SEAL_PURPOSE, row.get()[1]);
        } catch (Sealer.UnsealException e) {
            throw new StartupRefusedException("the audit signing key stored in the database does not open with this "
                    + "master key (the row was altered, or belongs to another master key); core will not sign a log "
                    + "with a key it cannot trust. Restore the database or the master key file.");
        }
        try {
            PrivateKey privateKey = KeyFactory.getInstance(AuditPublicKey.ALGORITHM)
                    .generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
            AuditPublicKey publicKey = AuditPublicKey.fromDer(row.get()[0]);
            AuditSigningKey key = new AuditSigningKey(privateKey, publicKey);
            if (!publicKey.verify(SELF_TEST, key.sign(SELF_TEST))) {
                throw new StartupRefusedException("the audit public key stored in the database does not belong to the "
                        + "sealed audit signing key: the audit_signing_key row was altered. Restore the database.");
            }
            return Optional.of(key);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new StartupRefusedException("the audit signing key stored in the database is not an Ed25519 key: "
                    + "the audit_signing_key row was altered. Restore the database.");
        } finally {
            Arrays.fill(pkcs8, (byte) 0);
        }
    }

    public AuditPublicKey publicKey() {
        return publicKey;
    }

    public String keyId() {
        return publicKey.keyId();
    }

    byte[] sign(byte[] message) {
        try {
            Signature signer = Signature.getInstance(AuditPublicKey.ALGORITHM);
            signer.initSign(privateKey);
            signer.update(message);
            return signer.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 signing failed", e);
        }
    }

    @Override
    public String toString() {
        return "AuditSigningKey[" + keyId() + ", private key redacted]";
    }
}
