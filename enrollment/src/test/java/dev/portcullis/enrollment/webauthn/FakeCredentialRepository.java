package dev.portcullis.enrollment.webauthn;

import com.yubico.webauthn.CredentialRepository;
import com.yubico.webauthn.RegisteredCredential;
import com.yubico.webauthn.data.ByteArray;
import com.yubico.webauthn.data.PublicKeyCredentialDescriptor;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/** What core's database does for Yubico, in memory: users with handles, and their stored credentials. */
final class FakeCredentialRepository implements CredentialRepository {

    private record Stored(String username, NewCredential credential, long signatureCount) {
    }

    private final Map<String, ByteArray> handles = new HashMap<>();
    private final Map<ByteArray, Stored> credentials = new HashMap<>();

    void addUser(String username, byte[] userHandle) {
        handles.put(username, new ByteArray(userHandle));
    }

    /** What core does after finishRegistration. */
    void store(String username, NewCredential credential) {
        credentials.put(new ByteArray(credential.credentialId()), new Stored(username, credential, credential.signatureCount()));
    }

    /** What core does after finishAssertion. */
    void updateSignatureCount(byte[] credentialId, long signatureCount) {
        credentials.computeIfPresent(new ByteArray(credentialId),
                (id, s) -> new Stored(s.username(), s.credential(), signatureCount));
    }

    @Override
    public Set<PublicKeyCredentialDescriptor> getCredentialIdsForUsername(String username) {
        return credentials.entrySet().stream()
                .filter(e -> e.getValue().username().equals(username))
                .map(e -> PublicKeyCredentialDescriptor.builder().id(e.getKey()).build())
                .collect(Collectors.toSet());
    }

    @Override
    public Optional<ByteArray> getUserHandleForUsername(String username) {
        return Optional.ofNullable(handles.get(username));
    }

    @Override
    public Optional<String> getUsernameForUserHandle(ByteArray userHandle) {
        return handles.entrySet().stream().filter(e -> e.getValue().equals(userHandle)).map(Map.Entry::getKey).findFirst();
    }

    @Override
    public Optional<RegisteredCredential> lookup(ByteArray credentialId, ByteArray userHandle) {
        return Optional.ofNullable(credentials.get(credentialId))
                .filter(s -> new ByteArray(s.credential().userHandle()).equals(userHandle))
                .map(FakeCredentialRepository::registered);
    }

    @Override
    public Set<RegisteredCredential> lookupAll(ByteArray credentialId) {
        return Optional.ofNullable(credentials.get(credentialId)).map(FakeCredentialRepository::registered).stream()
                .collect(Collectors.toSet());
    }

    private static RegisteredCredential registered(Stored s) {
        return RegisteredCredential.builder()
                .credentialId(new ByteArray(s.credential().credentialId()))
                .userHandle(new ByteArray(s.credential().userHandle()))
                .publicKeyCose(new ByteArray(s.credential().publicKeyCose()))
                .signatureCount(s.signatureCount())
                .build();
    }
}
