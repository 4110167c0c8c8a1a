package dev.portcullis.enrollment.webauthn;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A verified new WebAuthn credential, everything core stores about it. None of it is secret (the
 * private key stays in the authenticator), but arrays are still copied in and out so the record stays
 * immutable.
 *
 * @param credentialId      the credential ID (the lookup key)
 * @param userHandle        the user handle it was registered for
 * @param publicKeyCose     the COSE public key, for verifying later assertions
 * @param signatureCount    the authenticator's counter at registration; core stores it and updates it on each assertion
 * @param attestationObject the raw attestation object, kept for later audit or metadata checks
 * @param attestationFormat e.g. {@code packed}, {@code fido-u2f}, {@code none}
 * @param aaguid            the authenticator model as a UUID string, empty if it is all zeros (no attestation)
 * @param transports        what the browser reported, e.g. {@code usb}, {@code nfc}, {@code internal}
 */
public record NewCredential(byte[] credentialId, byte[] userHandle, byte[] publicKeyCose, long signatureCount,
                            byte[] attestationObject, String attestationFormat, Optional<String> aaguid,
                            Set<String> transports) {

    public NewCredential {
        credentialId = Objects.requireNonNull(credentialId, "credentialId").clone();
        userHandle = Objects.requireNonNull(userHandle, "userHandle").clone();
        publicKeyCose = Objects.requireNonNull(publicKeyCose, "publicKeyCose").clone();
        attestationObject = Objects.requireNonNull(attestationObject, "attestationObject").clone();
        Objects.requireNonNull(attestationFormat, "attestationFormat");
        Objects.requireNonNull(aaguid, "aaguid");
        transports = Set.copyOf(transports);
    }

    @Override
    public byte[] credentialId() {
        return credentialId.clone();
    }

    @Override
    public byte[] userHandle() {
        return userHandle.clone();
    }

    @Override
    public byte[] publicKeyCose() {
        return publicKeyCose.clone();
    }

    @Override
    public byte[] attestationObject() {
        return attestationObject.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NewCredential other
                && Arrays.equals(credentialId, other.credentialId)
                && Arrays.equals(userHandle, other.userHandle)
                && Arrays.equals(publicKeyCose, other.publicKeyCose)
                && signatureCount == other.signatureCount
                && Arrays.equals(attestationObject, other.attestationObject)
                && attestationFormat.equals(other.attestationFormat)
                && aaguid.equals(other.aaguid)
                && transports.equals(other.transports);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(credentialId);
    }

    @Override
    public String toString() {
        return "NewCredential[id=" + HexFormat.of().formatHex(credentialId) + ", format=" + attestationFormat
                + ", aaguid=" + aaguid.orElse("none") + ", signatureCount=" + signatureCount
                + ", transports=" + transports + "]";
    }
}
