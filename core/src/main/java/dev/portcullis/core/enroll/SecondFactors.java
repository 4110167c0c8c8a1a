package dev.portcullis.core.enroll;

import static dev.portcullis.core.store.Database.timestamp;

import dev.portcullis.enrollment.recovery.RecoveryCode;
import dev.portcullis.enrollment.recovery.RecoveryCodes;
import dev.portcullis.enrollment.totp.Totp;
import dev.portcullis.enrollment.totp.TotpSecret;
import dev.portcullis.pki.authority.Sealer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A user's second factors at rest: the TOTP secret sealed under the master key (purpose bound to the
 * user), the last TOTP step accepted (so every code is single-use), WebAuthn credentials (through
 * {@link PostgresCredentialRepository}) and recovery codes as SHA-256 hashes, each spent at most once.
 */
public final class SecondFactors {

    private static final Logger LOG = LoggerFactory.getLogger(SecondFactors.class);
    /**
     * Sealing purpose (AES-GCM associated data) of TOTP secrets. The user's id is appended, so a
     * sealed secret copied into another user's row does not open there.
     */
    static final String TOTP_PURPOSE = "portcullis/totp-secret/v1";

    private final Sealer sealer;

    public SecondFactors(Sealer sealer) {
        this.sealer = sealer;
    }

    /** What a user has in place; never a secret. */
    public record Factors(boolean password, boolean totp, int webauthn, int unusedRecoveryCodes) {
        boolean any() {
            return totp || webauthn > 0;
        }
    }

    public static Factors of(Connection connection, UUID userId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT u.password_hash IS NOT NULL AS password, "
                        + "EXISTS (SELECT 1 FROM totp_credentials t WHERE t.user_id = u.id) AS totp, "
                        + "(SELECT count(*) FROM webauthn_credentials w WHERE w.user_id = u.id) AS webauthn, "
                        + "(SELECT count(*) FROM recovery_codes r WHERE r.user_id = u.id AND r.used_at IS NULL) AS codes "
                        + "FROM users u WHERE u.id = ?")) {
            select.setObject(1, userId);
            try (ResultSet rs = select.executeQuery()) {
                rs.next();
                return new Factors(rs.getBoolean("password"), rs.getBoolean("totp"), rs.getInt("webauthn"), rs.getInt("codes"));
            }
        }
    }

    // ---- TOTP ---------------------------------------------------------------------------------------------

    byte[] seal(UUID userId, TotpSecret secret) {
        byte[] text = secret.base32().getBytes(StandardCharsets.US_ASCII);
        try {
            return sealer.seal(purpose(userId), text);
        } finally {
            Arrays.fill(text, (byte) 0);
        }
    }

    /** Opens a sealed secret of this user; empty (and an error logged) if it does not open. */
    Optional<TotpSecret> open(UUID userId, byte[] sealed) {
        byte[] text;
        try {
            text = sealer.open(purpose(userId), sealed);
        } catch (Sealer.UnsealException e) {
            LOG.error("the TOTP secret of user {} does not open (altered row or wrong master key)", userId);
            return Optional.empty();
        }
        try {
            return TotpSecret.fromBase32(new String(text, StandardCharsets.US_ASCII));
        } finally {
            Arrays.fill(text, (byte) 0);
        }
    }

    /** Stores the user's confirmed TOTP secret (replacing an earlier one), with the step its confirming code used. */
    static void storeTotp(Connection connection, UUID userId, byte[] sealed, long confirmedStep, Instant now)
            throws SQLException {
        try (PreparedStatement upsert = connection.prepareStatement(
                "INSERT INTO totp_credentials (user_id, sealed_secret, last_used_step, created_at) VALUES (?, ?, ?, ?) "
                        + "ON CONFLICT (user_id) DO UPDATE SET sealed_secret = EXCLUDED.sealed_secret, "
                        + "last_used_step = EXCLUDED.last_used_step, created_at = EXCLUDED.created_at")) {
            upsert.setObject(1, userId);
            upsert.setBytes(2, sealed);
            upsert.setLong(3, confirmedStep);
            upsert.setObject(4, timestamp(now));
            upsert.executeUpdate();
        }
    }

    /**
     * Spends a TOTP code of the user: true only if it matches a step later than the last one
     * accepted, which becomes the new last step in the same statement (a replay, or an older code
     * after a newer one, is refused even when two arrive at once).
     */
    boolean useTotp(Connection connection, UUID userId, String code, Instant now) throws SQLException {
        byte[] sealed;
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT sealed_secret FROM totp_credentials WHERE user_id = ?")) {
            select.setObject(1, userId);
            try (ResultSet rs = select.executeQuery()) {
                if (!rs.next()) {
                    return false;
                }
                sealed = rs.getBytes(1);
            }
        }
        Optional<TotpSecret> secret = open(userId, sealed);
        if (secret.isEmpty()) {
            return false;
        }
        OptionalLong step = Totp.matchingStep(secret.get(), code, now);
        if (step.isEmpty()) {
            return false;
        }
        try (PreparedStatement spend = connection.prepareStatement(
                "UPDATE totp_credentials SET last_used_step = ? WHERE user_id = ? "
                        + "AND (last_used_step IS NULL OR last_used_step < ?)")) {
            spend.setLong(1, step.getAsLong());
            spend.setObject(2, userId);
            spend.setLong(3, step.getAsLong());
            return spend.executeUpdate() == 1;
        }
    }

    /** How a TOTP code for a tunnel session fared. */
    public enum TotpCheck {
        /** It matched a step later than the last one accepted; that step is now the last one. */
        ACCEPTED,
        /** It matched no step of the window (or the secret does not open). */
        WRONG_CODE,
        /** It matched a step already used (or older): a replay. */
        REPLAYED,
        /** The user has no authenticator app. */
        NO_AUTHENTICATOR
    }

    /**
     * Spends a TOTP code of the user, telling a wrong code from a replayed one. The user's row is
     * locked ({@code SELECT ... FOR UPDATE}) and its last step updated in the caller's transaction,
     * so two requests with one code cannot both pass, and an older code after a newer one is refused.
     */
    public TotpCheck spendTotp(Connection connection, UUID userId, String code, Instant now) throws SQLException {
        byte[] sealed;
        long lastStep;
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT sealed_secret, last_used_step FROM totp_credentials WHERE user_id = ? FOR UPDATE")) {
            select.setObject(1, userId);
            try (ResultSet rs = select.executeQuery()) {
                if (!rs.next()) {
                    return TotpCheck.NO_AUTHENTICATOR;
                }
                sealed = rs.getBytes("sealed_secret");
                lastStep = rs.getLong("last_used_step");
                if (rs.wasNull()) {
                    lastStep = -1;
                }
            }
        }
        Optional<TotpSecret> secret = open(userId, sealed);
        if (secret.isEmpty()) {
            return TotpCheck.WRONG_CODE;
        }
        OptionalLong step = Totp.matchingStep(secret.get(), code, now);
        if (step.isEmpty()) {
            return TotpCheck.WRONG_CODE;
        }
        if (step.getAsLong() <= lastStep) {
            return TotpCheck.REPLAYED;
        }
        try (PreparedStatement spend = connection.prepareStatement(
                "UPDATE totp_credentials SET last_used_step = ? WHERE user_id = ?")) {
            spend.setLong(1, step.getAsLong());
            spend.setObject(2, userId);
            spend.executeUpdate();
        }
        return TotpCheck.ACCEPTED;
    }

    // ---- WebAuthn -------------------------------------------------------------------------------------------

    /**
     * Stores the signature counter of a verified assertion by the user's credential. False when the
     * stored counter is already at or beyond it (another assertion got there first, or the key was
     * cloned): the caller refuses the assertion. Authenticators without a counter report 0 each time.
     */
    public static boolean recordAssertion(Connection connection, UUID userId, byte[] credentialId, long signatureCount,
                                          Instant now) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE webauthn_credentials SET signature_count = ?, last_used_at = ? WHERE credential_id = ? "
                        + "AND user_id = ? AND (signature_count < ? OR (signature_count = 0 AND ? = 0))")) {
            update.setLong(1, signatureCount);
            update.setObject(2, timestamp(now));
            update.setBytes(3, credentialId);
            update.setObject(4, userId);
            update.setLong(5, signatureCount);
            update.setLong(6, signatureCount);
            return update.executeUpdate() == 1;
        }
    }

    // ---- recovery codes -------------------------------------------------------------------------------------

    /** Replaces the user's recovery codes with fresh ones; the returned codes are the only plaintext. */
    static List<RecoveryCode> replaceRecoveryCodes(Connection connection, UUID userId, Instant now) throws SQLException {
        List<RecoveryCode> codes = RecoveryCodes.generate();
        try (PreparedStatement delete = connection.prepareStatement("DELETE FROM recovery_codes WHERE user_id = ?");
             PreparedStatement insert = connection.prepareStatement(
                     "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES (?, ?, ?)")) {
            delete.setObject(1, userId);
            delete.executeUpdate();
            for (RecoveryCode code : codes) {
                insert.setObject(1, userId);
                insert.setBytes(2, code.sha256());
                insert.setObject(3, timestamp(now));
                insert.addBatch();
            }
            insert.executeBatch();
        }
        return codes;
    }

    /** Spends one unused recovery code of the user; true if the typed text was one. */
    static boolean useRecoveryCode(Connection connection, UUID userId, String typed, Instant now) throws SQLException {
        Optional<byte[]> hash = RecoveryCodes.hashOfTyped(typed);
        if (hash.isEmpty()) {
            return false;
        }
        try (PreparedStatement spend = connection.prepareStatement(
                "UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL")) {
            spend.setObject(1, timestamp(now));
            spend.setObject(2, userId);
            spend.setBytes(3, hash.get());
            return spend.executeUpdate() == 1;
        }
    }

    private static String purpose(UUID userId) {
        return TOTP_PURPOSE + "/" + userId;
    }
}
