package dev.portcullis.enrollment.webauthn;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.yubico.webauthn.AssertionRequest;
import com.yubico.webauthn.AssertionResult;
import com.yubico.webauthn.CredentialRepository;
import com.yubico.webauthn.FinishAssertionOptions;
import com.yubico.webauthn.FinishRegistrationOptions;
import com.yubico.webauthn.RegistrationResult;
import com.yubico.webauthn.RelyingParty;
import com.yubico.webauthn.StartAssertionOptions;
import com.yubico.webauthn.StartRegistrationOptions;
import com.yubico.webauthn.data.AttestationConveyancePreference;
import com.yubico.webauthn.data.AuthenticatorAssertionResponse;
import com.yubico.webauthn.data.AuthenticatorAttestationResponse;
import com.yubico.webauthn.data.AuthenticatorSelectionCriteria;
import com.yubico.webauthn.data.AuthenticatorTransport;
import com.yubico.webauthn.data.ByteArray;
import com.yubico.webauthn.data.ClientAssertionExtensionOutputs;
import com.yubico.webauthn.data.ClientRegistrationExtensionOutputs;
import com.yubico.webauthn.data.PublicKeyCredential;
import com.yubico.webauthn.data.PublicKeyCredentialCreationOptions;
import com.yubico.webauthn.data.RelyingPartyIdentity;
import com.yubico.webauthn.data.ResidentKeyRequirement;
import com.yubico.webauthn.data.UserIdentity;
import com.yubico.webauthn.data.UserVerificationRequirement;
import com.yubico.webauthn.exception.AssertionFailedException;
import com.yubico.webauthn.exception.InvalidSignatureCountException;
import com.yubico.webauthn.exception.RegistrationFailedException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The WebAuthn ceremonies, each a start step (whose request core keeps server-side) and a finish
 * step (which verifies the browser's answer against it). Policy, fixed here:
 * <ul>
 *   <li>user verification REQUIRED (PIN or biometric): the key alone is not a factor for us;</li>
 *   <li>attestation DIRECT, and the attestation object is returned for core to store;</li>
 *   <li>untrusted attestation allowed: core runs offline, without the FIDO Metadata Service, so no
 *       attestation can be verified against a trust root. The attestation signature itself is still
 *       checked; only its chain to a vendor root is not;</li>
 *   <li>resident (discoverable) key PREFERRED, so a passkey can later sign in without a user name;</li>
 *   <li>only the configured origins, exactly;</li>
 *   <li>a signature counter that does not advance is refused.</li>
 * </ul>
 * Thread-safe: the {@link RelyingParty} is immutable and the repository is core's to make safe.
 */
public final class WebAuthnCeremonies {

    /**
     * Largest browser answer parsed, in characters: a registration with a long attestation
     * certificate chain is a few KiB; 64 KiB bounds what an attacker can make Jackson and CBOR chew.
     */
    public static final int MAX_CREDENTIAL_JSON_LENGTH = 64 * 1024;
    /** Largest stored request parsed back: ours are under 2 KiB plus the excluded credential IDs. */
    static final int MAX_REQUEST_JSON_LENGTH = 256 * 1024;
    /** WebAuthn limits a user handle to 64 bytes; it must not be empty. */
    public static final int MAX_USER_HANDLE_BYTES = 64;
    /** Browser-side ceremony timeout: 5 minutes to find and touch a key; core's session lifetime is the real bound. */
    static final long TIMEOUT_MILLIS = 5 * 60 * 1000L;
    /** Longest user name or display name passed to an authenticator; they truncate far below this. */
    static final int MAX_NAME_LENGTH = 256;

    private final RelyingParty relyingParty;
    private final CredentialRepository repository;

    public WebAuthnCeremonies(RelyingPartySettings settings, CredentialRepository repository) {
        Objects.requireNonNull(settings, "settings");
        this.repository = Objects.requireNonNull(repository, "repository");
        this.relyingParty = RelyingParty.builder()
                .identity(RelyingPartyIdentity.builder().id(settings.rpId()).name(settings.rpName()).build())
                .credentialRepository(repository)
                .origins(settings.origins())
                .attestationConveyancePreference(AttestationConveyancePreference.DIRECT)
                // Offline: no metadata service, so no trust roots; see the class comment.
                .allowUntrustedAttestation(true)
                .validateSignatureCounter(true)
                .allowOriginPort(false)
                .allowOriginSubdomain(false)
                .build();
    }

    // ---------------------------------------------------------------- registration

    /**
     * Starts registering a new authenticator for a user. The user's existing credentials (from the
     * repository) are excluded, so the same key cannot be registered twice.
     *
     * @param userHandle the user's stable, random, non-personal WebAuthn ID (1 to 64 bytes); core
     *                   creates it once per user and stores it
     */
    public RegistrationStart startRegistration(String username, String displayName, byte[] userHandle) {
        requireName(username, "username");
        requireName(displayName, "displayName");
        if (userHandle == null || userHandle.length == 0 || userHandle.length > MAX_USER_HANDLE_BYTES) {
            throw new IllegalArgumentException("a user handle is 1 to " + MAX_USER_HANDLE_BYTES + " bytes");
        }
        PublicKeyCredentialCreationOptions request = relyingParty.startRegistration(StartRegistrationOptions.builder()
                .user(UserIdentity.builder().name(username).displayName(displayName).id(new ByteArray(userHandle)).build())
                .authenticatorSelection(AuthenticatorSelectionCriteria.builder()
                        .userVerification(UserVerificationRequirement.REQUIRED)
                        .residentKey(ResidentKeyRequirement.PREFERRED)
                        .build())
                .timeout(TIMEOUT_MILLIS)
                .build());
        try {
            return new RegistrationStart(request.toJson(), request.toCredentialsCreateJson());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a registration request", e);
        }
    }

    /**
     * Verifies the browser's answer to {@link #startRegistration}. Steps: read the stored request;
     * read the answer; require user verification; refuse a credential ID already registered (to any
     * user; checked before the signatures so the user gets the accurate message, which tells the
     * caller nothing: credential IDs are not secret); let Yubico verify origin, challenge, RP ID,
     * flags, algorithm and attestation signature; collect what core stores.
     *
     * @param requestJson    {@link RegistrationStart#requestJson()} as core kept it
     * @param credentialJson the {@code PublicKeyCredential} the browser returned, as JSON
     * @throws WebAuthnRejected for any failure, including malformed JSON and a missing UV flag
     */
    public NewCredential finishRegistration(String requestJson, String credentialJson) throws WebAuthnRejected {
        PublicKeyCredentialCreationOptions request = readRegistrationRequest(requestJson);
        PublicKeyCredential<AuthenticatorAttestationResponse, ClientRegistrationExtensionOutputs> credential =
                readRegistrationAnswer(credentialJson);
        requireUserVerified(credential.getResponse().getParsedAuthenticatorData().getFlags().UV);
        requireNotYetRegistered(credential.getId());
        RegistrationResult result = verifyRegistration(request, credential);
        requireUserVerified(result.isUserVerified());
        return newCredential(request, credential, result);
    }

    private PublicKeyCredentialCreationOptions readRegistrationRequest(String requestJson) throws WebAuthnRejected {
        if (requestJson == null || requestJson.length() > MAX_REQUEST_JSON_LENGTH) {
            throw new WebAuthnRejected(WebAuthnRejected.Reason.NO_CEREMONY);
        }
        try {
            PublicKeyCredentialCreationOptions request = PublicKeyCredentialCreationOptions.fromJson(requestJson);
            if (request == null) { // the JSON literal null
                throw new WebAuthnRejected(WebAuthnRejected.Reason.NO_CEREMONY);
            }
            return request;
        } catch (IOException | RuntimeException e) {
            throw new WebAuthnRejected(WebAuthnRejected.Reason.NO_CEREMONY, e);
        }
    }

    private static PublicKeyCredential<AuthenticatorAttestationResponse, ClientRegistrationExtensionOutputs>
            readRegistrationAnswer(String credentialJson) throws WebAuthnRejected {
        requireBounded(credentialJson);
        try {
            PublicKeyCredential<AuthenticatorAttestationResponse, ClientRegistrationExtensionOutputs> credential =
                    PublicKeyCredential.parseRegistrationResponseJson(credentialJson);
            if (credential == null) { // the JSON literal null
                throw new WebAuthnRejected(WebAuthnRejected.Reason.MALFORMED);
            }
            return credential;
        } catch (IOException | RuntimeException e) {
            throw new WebAuthnRejected(WebAuthnRejected.Reason.MALFORMED, e);
        }
    }

    private RegistrationResult verifyRegistration(
            PublicKeyCredentialCreationOptions request,
            PublicKeyCredential<AuthenticatorAttestationResponse, ClientRegistrationExtensionOutputs> credential)
            throws WebAuthnRejected {
        try {
            return relyingParty.finishRegistration(
                    FinishRegistrationOptions.builder().request(request).response(credential).build());
        } catch (RegistrationFailedException | RuntimeException e) {
            throw new WebAuthnRejected(WebAuthnRejected.Reason.NOT_VERIFIED, e);
        }
    }

    private void requireNotYetRegistered(ByteArray credentialId) throws WebAuthnRejected {
        if (!repository.lookupAll(credentialId).isEmpty()) {
            throw new WebAuthnRejected(WebAuthnRejected.Reason.ALREADY_REGISTERED);
        }
    }

    private static NewCredential newCredential(
            PublicKeyCredentialCreationOptions request,
            PublicKeyCredential<AuthenticatorAttestationResponse, ClientRegistrationExtensionOutputs> credential,
            RegistrationResult result) {
        AuthenticatorAttestationResponse response = credential.getResponse();
        Set<String> transports = response.getTransports().stream()
                .map(AuthenticatorTransport::getId)
                .collect(Collectors.toUnmodifiableSet());
        return new NewCredential(
                result.getKeyId().getId().getBytes(),
                request.getUser().getId().getBytes(),
                result.getPublicKeyCose().getBytes(),
                result.getSignatureCount(),
                response.getAttestationObject().getBytes(),
                response.getAttestation().getFormat(),
                aaguid(result.getAaguid()),
                transports);
    }

    /** The AAGUID as a UUID string; empty when it is all zeros, which says nothing about the model. */
    static Optional<String> aaguid(ByteArray aaguid) {
        byte[] bytes = aaguid == null ? new byte[0] : aaguid.getBytes();
        if (bytes.length != 16) {
            return Optional.empty();
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        UUID uuid = new UUID(buffer.getLong(), buffer.getLong());
        return uuid.getMostSignificantBits() == 0 && uuid.getLeastSignificantBits() == 0
                ? Optional.empty() : Optional.of(uuid.toString());
    }

    // ---------------------------------------------------------------- assertion

    /**
     * Starts an assertion for a user (tunnel MFA): the browser may use any of the user's registered
     * credentials, and must verify the user.
     */
    public AssertionStart startAssertion(String username) {
        requireName(username, "username");
        AssertionRequest request = relyingParty.startAssertion(StartAssertionOptions.builder()
                .username(username)
                .userVerification(UserVerificationRequirement.REQUIRED)
                .timeout(TIMEOUT_MILLIS)
                .build());
        try {
            return new AssertionStart(request.toJson(), request.toCredentialsGetJson());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise an assertion request", e);
        }
    }

    /**
     * Verifies the browser's answer to {@link #startAssertion}. Steps: read the stored request; read
     * the answer; require user verification; let Yubico verify origin, challenge, RP ID, the
     * credential's owner, the signature and the counter; refuse a counter that did not advance.
     * Core then stores {@link VerifiedAssertion#signatureCount()} for the credential.
     *
     * @throws WebAuthnRejected for any failure, including an unknown credential and a counter that
     *         went backwards ({@link WebAuthnRejected.Reason#COUNTER_NOT_INCREASED})
     */
    public VerifiedAssertion finishAssertion(String requestJson, String credentialJson) throws WebAuthnRejected {
        AssertionRequest request = readAssertionRequest(requestJson);
        PublicKeyCredential<AuthenticatorAssertionResponse, ClientAssertionExtensionOutputs> credential =
                readAssertionAnswer(credentialJson);
        requireUserVerified(credential.getResponse().getParsedAuthenticatorData().getFlags().UV);
        AssertionResult result = verifyAssertion(request, credential);
        requireUserVerified(result.isUserVerified());
        requireCounterAdvanced(result.isSignatureCounterValid());
        return new VerifiedAssertion(result.getCredential().getCredentialId().getBytes(), result.getUsername(),
                result.getSignatureCount());
    }

    private static AssertionRequest readAssertionRequest(String requestJson) throws WebAuthnRejected {
        if (requestJson == null || requestJson.length() > MAX_REQUEST_JSON_LENGTH) {
            throw new WebAuthnRejected(WebAuthnRejected.Reason.NO_CEREMONY);
        }
        try {
            AssertionRequest request = AssertionRequest.fromJson(requestJson);
            if (request == null) { // the JSON literal null
                throw new WebAuthnRejected(WebAuthnRejected.Reason.NO_CEREMONY);
            }
            return request;
        } catch (IOException | RuntimeException e) {
            throw new WebAuthnRejected(WebAuthnRejected.Reason.NO_CEREMONY, e);
        }
    }

    private static PublicKeyCredential<AuthenticatorAssertionResponse, ClientAssertionExtensionOutputs>
            readAssertionAnswer(String credentialJson) throws WebAuthnRejected {
        requireBounded(credentialJson);
        try {
            PublicKeyCredential<AuthenticatorAssertionResponse, ClientAssertionExtensionOutputs> credential =
                    PublicKeyCredential.parseAssertionResponseJson(credentialJson);
            if (credential == null) { // the JSON literal null
                throw new WebAuthnRejected(WebAuthnRejected.Reason.MALFORMED);
            }
            return credential;
        } catch (IOException | RuntimeException e) {
            throw new WebAuthnRejected(WebAuthnRejected.Reason.MALFORMED, e);
        }
    }

    private AssertionResult verifyAssertion(
            AssertionRequest request,
            PublicKeyCredential<AuthenticatorAssertionResponse, ClientAssertionExtensionOutputs> credential)
            throws WebAuthnRejected {
        AssertionResult result;
        try {
            result = relyingParty.finishAssertion(
                    FinishAssertionOptions.builder().request(request).response(credential).build());
        } catch (InvalidSignatureCountException e) {
            throw new WebAuthnRejected(WebAuthnRejected.Reason.COUNTER_NOT_INCREASED, e);
        } catch (AssertionFailedException | RuntimeException e) {
            throw new WebAuthnRejected(WebAuthnRejected.Reason.NOT_VERIFIED, e);
        }
        if (!result.isSuccess()) {
            throw new WebAuthnRejected(WebAuthnRejected.Reason.NOT_VERIFIED);
        }
        return result;
    }

    // ---------------------------------------------------------------- shared checks

    private static void requireUserVerified(boolean userVerified) throws WebAuthnRejected {
        if (!userVerified) {
            throw new WebAuthnRejected(WebAuthnRejected.Reason.USER_NOT_VERIFIED);
        }
    }

    private static void requireCounterAdvanced(boolean counterValid) throws WebAuthnRejected {
        if (!counterValid) {
            throw new WebAuthnRejected(WebAuthnRejected.Reason.COUNTER_NOT_INCREASED);
        }
    }

    private static void requireBounded(String credentialJson) throws WebAuthnRejected {
        if (credentialJson == null || credentialJson.isEmpty() || credentialJson.length() > MAX_CREDENTIAL_JSON_LENGTH) {
            throw new WebAuthnRejected(WebAuthnRejected.Reason.MALFORMED);
        }
    }

    private static void requireName(String value, String what) {
        if (value == null || value.isBlank() || value.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException(what + " must be 1 to " + MAX_NAME_LENGTH + " characters");
        }
    }
}
