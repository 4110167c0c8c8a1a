package dev.portcullis.core.enroll;

import com.yubico.webauthn.CredentialRepository;
import com.yubico.webauthn.RegisteredCredential;
import com.yubico.webauthn.data.AuthenticatorTransport;
import com.yubico.webauthn.data.ByteArray;
import com.yubico.webauthn.data.PublicKeyCredentialDescriptor;
import dev.portcullis.core.store.Database;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * WebAuthn credentials as Yubico's relying party looks them up, from PostgreSQL. The "username" is
 * the user's login; the user handle is the random 32 bytes stored with the user. Each call runs in a
 * short transaction of its own: callers must not hold another connection while the library calls in.
 */
public final class PostgresCredentialRepository implements CredentialRepository {

    private final Database database;

    public PostgresCredentialRepository(Database database) {
        this.database = database;
    }

    @Override
    public Set<PublicKeyCredentialDescriptor> getCredentialIdsForUsername(String username) {
        return database.inTransaction(connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT w.credential_id, w.transports FROM webauthn_credentials w JOIN users u ON u.id = w.user_id "
                            + "WHERE u.name = ? ORDER BY w.created_at")) {
                select.setString(1, username);
                try (ResultSet rs = select.executeQuery()) {
                    Set<PublicKeyCredentialDescriptor> descriptors = new LinkedHashSet<>();
                    while (rs.next()) {
                        Set<AuthenticatorTransport> transports = new HashSet<>();
                        for (String transport : (String[]) rs.getArray("transports").getArray()) {
                            transports.add(AuthenticatorTransport.of(transport));
                        }
                        descriptors.add(PublicKeyCredentialDescriptor.builder()
                                .id(new ByteArray(rs.getBytes("credential_id")))
                                .transports(transports)
                                .build());
                    }
                    return descriptors;
                }
            }
        });
    }

    @Override
    public Optional<ByteArray> getUserHandleForUsername(String username) {
        return database.inTransaction(connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT user_handle FROM users WHERE name = ?")) {
                select.setString(1, username);
                try (ResultSet rs = select.executeQuery()) {
                    return rs.next() ? Optional.of(new ByteArray(rs.getBytes(1))) : Optional.<ByteArray>empty();
                }
            }
        });
    }

    @Override
    public Optional<String> getUsernameForUserHandle(ByteArray userHandle) {
        return database.inTransaction(connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT name FROM users WHERE user_handle = ?")) {
                select.setBytes(1, userHandle.getBytes());
                try (ResultSet rs = select.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getString(1)) : Optional.<String>empty();
                }
            }
        });
    }

    @Override
    public Optional<RegisteredCredential> lookup(ByteArray credentialId, ByteArray userHandle) {
        return lookupAll(credentialId).stream().filter(c -> c.getUserHandle().equals(userHandle)).findFirst();
    }

    @Override
    public Set<RegisteredCredential> lookupAll(ByteArray credentialId) {
        return database.inTransaction(connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT w.credential_id, u.user_handle, w.public_key_cose, w.signature_count FROM webauthn_credentials w "
                            + "JOIN users u ON u.id = w.user_id WHERE w.credential_id = ?")) {
                select.setBytes(1, credentialId.getBytes());
                try (ResultSet rs = select.executeQuery()) {
                    Set<RegisteredCredential> found = new HashSet<>();
                    while (rs.next()) {
                        found.add(RegisteredCredential.builder()
                                .credentialId(new ByteArray(rs.getBytes("credential_id")))
                                .userHandle(new ByteArray(rs.getBytes("user_handle")))
                                .publicKeyCose(new ByteArray(rs.getBytes("public_key_cose")))
                                .signatureCount(rs.getLong("signature_count"))
                                .build());
                    }
                    return found;
                }
            }
        });
    }
}
