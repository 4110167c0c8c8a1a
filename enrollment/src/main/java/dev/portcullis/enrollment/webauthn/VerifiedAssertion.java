package dev.portcullis.enrollment.webauthn;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A verified assertion: which credential and user signed, and the new signature counter core must
 * store for that credential (the next assertion is refused unless its counter is higher, when the
 * authenticator keeps one).
 */
public record VerifiedAssertion(byte[] credentialId, String username, long signatureCount) {

    public VerifiedAssertion {
        credentialId = Objects.requireNonNull(credentialId, "credentialId").clone();
        Objects.requireNonNull(username, "username");
    }

    @Override
    public byte[] credentialId() {
        return credentialId.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VerifiedAssertion other && Arrays.equals(credentialId, other.credentialId)
                && username.equals(other.username) && signatureCount == other.signatureCount;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(credentialId);
    }

    @Override
    public String toString() {
        return "VerifiedAssertion[id=" + HexFormat.of().formatHex(credentialId) + ", user=" + username
                + ", signatureCount=" + signatureCount + "]";
    }
}
