package dev.portcullis.enrollment.webauthn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.yubico.webauthn.exception.InvalidSignatureCountException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Real registration and assertion ceremonies against a software authenticator. */
class WebAuthnCeremoniesTest {

    private static final String ORIGIN = "https://vpn.example.com";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] ALICE_HANDLE = "alice-handle-0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private FakeCredentialRepository repository;
    private WebAuthnCeremonies ceremonies;
    private SoftwareAuthenticator key;

    @BeforeEach
    void setUp() throws Exception {
        repository = new FakeCredentialRepository();
        repository.addUser("alice", ALICE_HANDLE);
        ceremonies = new WebAuthnCeremonies(
                new RelyingPartySettings("vpn.example.com", "Portcullis", Set.of(ORIGIN)), repository);
        key = new SoftwareAuthenticator(ORIGIN);
    }

    private NewCredential registerAlice() throws Exception {
        RegistrationStart start = ceremonies.startRegistration("alice", "Alice Smith", ALICE_HANDLE);
        NewCredential credential = ceremonies.finishRegistration(start.requestJson(), key.register(start.optionsJson()));
        repository.store("alice", credential);
        return credential;
    }

    private static WebAuthnRejected.Reason reasonOf(ThrowingCall call) {
        return rejection(call).reason();
    }

    private static WebAuthnRejected rejection(ThrowingCall call) {
        try {
            call.run();
        } catch (WebAuthnRejected e) {
            return e;
        } catch (Exception e) {
            throw new AssertionError("expected WebAuthnRejected, got " + e, e);
        }
        throw new AssertionError("expected WebAuthnRejected, the ceremony succeeded");
    }

    /** Rejected as NOT_VERIFIED, and for the intended reason: the library's cause names the failed check. */
    private static void assertRejectedBecause(ThrowingCall call, String check) {
        WebAuthnRejected rejected = rejection(call);
        assertThat(rejected.reason()).isEqualTo(WebAuthnRejected.Reason.NOT_VERIFIED);
        assertThat(rejected.getCause()).isNotNull();
        assertThat(rejected.getCause().getMessage()).containsIgnoringCase(check);
    }

    @FunctionalInterface
    private interface ThrowingCall {
        void run() throws Exception;
    }

    // ---------------------------------------------------------------- registration

    @Test
    void registrationOptionsRequireUserVerificationAskForDirectAttestationAndPreferAResidentKey() throws Exception {
        RegistrationStart start = ceremonies.startRegistration("alice", "Alice Smith", ALICE_HANDLE);
        JsonNode options = JSON.readTree(start.optionsJson());
        assertThat(options.fieldNames()).toIterable().containsExactly("publicKey");
        JsonNode publicKey = options.get("publicKey");
        assertThat(publicKey.get("rp").get("id").asText()).isEqualTo("vpn.example.com");
        assertThat(publicKey.get("rp").get("name").asText()).isEqualTo("Portcullis");
        assertThat(publicKey.get("user").get("name").asText()).isEqualTo("alice");
        assertThat(publicKey.get("user").get("displayName").asText()).isEqualTo("Alice Smith");
        assertThat(Base64.getUrlDecoder().decode(publicKey.get("user").get("id").asText())).isEqualTo(ALICE_HANDLE);
        assertThat(publicKey.get("authenticatorSelection").get("userVerification").asText()).isEqualTo("required");
        assertThat(publicKey.get("authenticatorSelection").get("residentKey").asText()).isEqualTo("preferred");
        assertThat(publicKey.get("attestation").asText()).isEqualTo("direct");
        assertThat(Base64.getUrlDecoder().decode(publicKey.get("challenge").asText())).hasSizeGreaterThanOrEqualTo(16);
        // The stored request carries the same challenge.
        assertThat(JSON.readTree(start.requestJson()).get("challenge").asText())
                .isEqualTo(publicKey.get("challenge").asText());
    }

    @Test
    void eachRegistrationStartHasAFreshChallenge() throws Exception {
        String first = JSON.readTree(ceremonies.startRegistration("alice", "Alice", ALICE_HANDLE).optionsJson())
                .get("publicKey").get("challenge").asText();
        String second = JSON.readTree(ceremonies.startRegistration("alice", "Alice", ALICE_HANDLE).optionsJson())
                .get("publicKey").get("challenge").asText();
        assertThat(first).isNotEqualTo(second);
    }

    @Test
    void registrationWithUserVerificationSucceedsWithPackedSelfAttestation() throws Exception {
        key.counter = 3;
        RegistrationStart start = ceremonies.startRegistration("alice", "Alice Smith", ALICE_HANDLE);
        String answer = key.register(start.optionsJson());
        NewCredential credential = ceremonies.finishRegistration(start.requestJson(), answer);

        assertThat(credential.credentialId()).isEqualTo(key.credentialId);
        assertThat(credential.userHandle()).isEqualTo(ALICE_HANDLE);
        assertThat(credential.signatureCount()).isEqualTo(3);
        assertThat(credential.attestationFormat()).isEqualTo("packed");
        assertThat(credential.aaguid()).contains(SoftwareAuthenticator.AAGUID.toString());
        assertThat(credential.transports()).containsExactlyInAnyOrder("usb", "nfc");
        byte[] sentAttestation = Base64.getUrlDecoder().decode(
                JSON.readTree(answer).get("response").get("attestationObject").asText());
        assertThat(credential.attestationObject()).isEqualTo(sentAttestation);
        // The COSE key is the authenticator's public key.
        assertThat(WebAuthnCodecsBridge.publicKeyOf(credential.publicKeyCose()).getEncoded())
                .isEqualTo(key.keyPair.getPublic().getEncoded());
    }

    @Test
    void registrationWithNoneAttestationSucceedsAndReportsNoAaguid() throws Exception {
        key.attestationFormat = "none"; // the authenticator data then carries an all-zero AAGUID, as browsers send it
        RegistrationStart start = ceremonies.startRegistration("alice", "Alice Smith", ALICE_HANDLE);
        NewCredential credential = ceremonies.finishRegistration(start.requestJson(), key.register(start.optionsJson()));
        assertThat(credential.attestationFormat()).isEqualTo("none");
        assertThat(credential.aaguid()).isEmpty();
        assertThat(credential.credentialId()).isEqualTo(key.credentialId);
    }

    @Test
    void registrationWithoutUserVerificationIsRejected() throws Exception {
        key.userVerified = false;
        RegistrationStart start = ceremonies.startRegistration("alice", "Alice Smith", ALICE_HANDLE);
        String answer = key.register(start.optionsJson());
        assertThat(reasonOf(() -> ceremonies.finishRegistration(start.requestJson(), answer)))
                .isEqualTo(WebAuthnRejected.Reason.USER_NOT_VERIFIED);
    }

    @Test
    void registrationFromAnotherOriginIsRejected() throws Exception {
        key.origin = "https://evil.example.net";
        RegistrationStart start = ceremonies.startRegistration("alice", "Alice Smith", ALICE_HANDLE);
        String answer = key.register(start.optionsJson());
        assertRejectedBecause(() -> ceremonies.finishRegistration(start.requestJson(), answer), "origin");
    }

    @Test
    void registrationFromASubdomainOrOtherPortThatIsNotConfiguredIsRejected() throws Exception {
        for (String origin : new String[] {"https://sub.vpn.example.com", "https://vpn.example.com:8443", "http://vpn.example.com"}) {
            key.origin = origin;
            RegistrationStart start = ceremonies.startRegistration("alice", "Alice Smith", ALICE_HANDLE);
            String answer = key.register(start.optionsJson());
            assertRejectedBecause(() -> ceremonies.finishRegistration(start.requestJson(), answer), "origin");
        }
    }

    @Test
    void registrationAnsweringAnotherChallengeIsRejected() throws Exception {
        RegistrationStart earlier = ceremonies.startRegistration("alice", "Alice Smith", ALICE_HANDLE);
        RegistrationStart start = ceremonies.startRegistration("alice", "Alice Smith", ALICE_HANDLE);
        // The authenticator answers the earlier ceremony's options; core verifies against the latest request.
        String answer = key.register(earlier.optionsJson());
        assertRejectedBecause(() -> ceremonies.finishRegistration(start.requestJson(), answer), "challenge");
    }

    @Test
    void registrationSignedByAnotherKeyIsRejected() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        key.signingKeyOverride = generator.generateKeyPair().getPrivate();
        RegistrationStart start = ceremonies.startRegistration("alice", "Alice Smith", ALICE_HANDLE);
        String answer = key.register(start.optionsJson());
        assertRejectedBecause(() -> ceremonies.finishRegistration(start.requestJson(), answer), "signature");
    }

    @Test
    void aKeyAlreadyRegisteredIsExcludedAtStartAndRefusedAtFinish() throws Exception {
        NewCredential first = registerAlice();
        RegistrationStart start = ceremonies.startRegistration("alice", "Alice Smith", ALICE_HANDLE);
        JsonNode excluded = JSON.readTree(start.optionsJson()).get("publicKey").get("excludeCredentials");
        assertThat(excluded).hasSize(1);
        assertThat(Base64.getUrlDecoder().decode(excluded.get(0).get("id").asText())).isEqualTo(first.credentialId());
        // A client that ignores excludeCredentials is still refused.
        String answer = key.register(start.optionsJson());
        assertThat(reasonOf(() -> ceremonies.finishRegistration(start.requestJson(), answer)))
                .isEqualTo(WebAuthnRejected.Reason.ALREADY_REGISTERED);
    }

    @Test
    void malformedRegistrationAnswersAreRejectedNeverThrownThrough() throws Exception {
        RegistrationStart start = ceremonies.startRegistration("alice", "Alice Smith", ALICE_HANDLE);
        String good = key.register(start.optionsJson());
        String[] bad = {null, "", "{", "null", "[]", "{}", "\"x\"", "{\"type\":\"public-key\"}",
                good.replace("\"attestationObject\":\"", "\"attestationObject\":\"AAAA"),
                good.replace("\"clientDataJSON\":\"", "\"clientDataJSON\":\"!!!!"),
                "{\"a\":" + "[".repeat(5000) + "]".repeat(5000) + "}",
                " ".repeat(WebAuthnCeremonies.MAX_CREDENTIAL_JSON_LENGTH + 1)};
        for (String answer : bad) {
            assertThat(reasonOf(() -> ceremonies.finishRegistration(start.requestJson(), answer)))
                    .as(String.valueOf(answer).length() > 100 ? "long" : answer)
                    .isIn(WebAuthnRejected.Reason.MALFORMED, WebAuthnRejected.Reason.NOT_VERIFIED);
        }
    }

    @Test
    void aMissingOrCorruptStoredRequestMeansStartAgain() throws Exception {
        RegistrationStart start = ceremonies.startRegistration("alice", "Alice Smith", ALICE_HANDLE);
        String answer = key.register(start.optionsJson());
        assertThat(reasonOf(() -> ceremonies.finishRegistration(null, answer))).isEqualTo(WebAuthnRejected.Reason.NO_CEREMONY);
        assertThat(reasonOf(() -> ceremonies.finishRegistration("{", answer))).isEqualTo(WebAuthnRejected.Reason.NO_CEREMONY);
        assertThat(reasonOf(() -> ceremonies.finishRegistration("null", answer))).isEqualTo(WebAuthnRejected.Reason.NO_CEREMONY);
        assertThat(reasonOf(() -> ceremonies.finishAssertion("null", answer))).isEqualTo(WebAuthnRejected.Reason.NO_CEREMONY);
        assertThat(reasonOf(() -> ceremonies.finishAssertion(null, answer))).isEqualTo(WebAuthnRejected.Reason.NO_CEREMONY);
    }

    @Test
    void rejectionMessagesAreSafeForUsersAndKeepTheLibraryCauseApart() throws Exception {
        key.origin = "https://evil.example.net";
        RegistrationStart start = ceremonies.startRegistration("alice", "Alice Smith", ALICE_HANDLE);
        String answer = key.register(start.optionsJson());
        String challenge = JSON.readTree(start.optionsJson()).get("publicKey").get("challenge").asText();
        assertThatThrownBy(() -> ceremonies.finishRegistration(start.requestJson(), answer))
                .isInstanceOf(WebAuthnRejected.class)
                .hasMessage(WebAuthnRejected.Reason.NOT_VERIFIED.userMessage())
                .hasMessageNotContaining(challenge)
                .hasMessageNotContaining("evil")
                .cause().isNotNull();
    }

    @Test
    void startRegistrationRefusesInvalidUserHandles() {
        assertThatThrownBy(() -> ceremonies.startRegistration("alice", "Alice", new byte[0]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ceremonies.startRegistration("alice", "Alice", new byte[65]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ceremonies.startRegistration(" ", "Alice", ALICE_HANDLE))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------- assertion

    @Test
    void assertionOptionsListTheUsersCredentialsAndRequireUserVerification() throws Exception {
        NewCredential credential = registerAlice();
        AssertionStart start = ceremonies.startAssertion("alice");
        JsonNode publicKey = JSON.readTree(start.optionsJson()).get("publicKey");
        assertThat(publicKey.get("rpId").asText()).isEqualTo("vpn.example.com");
        assertThat(publicKey.get("userVerification").asText()).isEqualTo("required");
        assertThat(publicKey.get("allowCredentials")).hasSize(1);
        assertThat(Base64.getUrlDecoder().decode(publicKey.get("allowCredentials").get(0).get("id").asText()))
                .isEqualTo(credential.credentialId());
    }

    @Test
    void assertionWithUserVerificationSucceedsAndReportsTheNewCounter() throws Exception {
        key.counter = 5;
        NewCredential credential = registerAlice();
        key.counter = 6;
        AssertionStart start = ceremonies.startAssertion("alice");
        VerifiedAssertion verified = ceremonies.finishAssertion(start.requestJson(), key.authenticate(start.optionsJson()));
        assertThat(verified.credentialId()).isEqualTo(credential.credentialId());
        assertThat(verified.username()).isEqualTo("alice");
        assertThat(verified.signatureCount()).isEqualTo(6);
    }

    @Test
    void assertionWithoutUserVerificationIsRejected() throws Exception {
        registerAlice();
        key.userVerified = false;
        key.counter = 1;
        AssertionStart start = ceremonies.startAssertion("alice");
        String answer = key.authenticate(start.optionsJson());
        assertThat(reasonOf(() -> ceremonies.finishAssertion(start.requestJson(), answer)))
                .isEqualTo(WebAuthnRejected.Reason.USER_NOT_VERIFIED);
    }

    @Test
    void assertionFromAnotherOriginIsRejected() throws Exception {
        registerAlice();
        key.origin = "https://vpn.example.com.evil.net";
        key.counter = 1;
        AssertionStart start = ceremonies.startAssertion("alice");
        String answer = key.authenticate(start.optionsJson());
        assertRejectedBecause(() -> ceremonies.finishAssertion(start.requestJson(), answer), "origin");
    }

    @Test
    void assertionAnsweringAnotherChallengeIsRejected() throws Exception {
        registerAlice();
        key.counter = 1;
        AssertionStart start = ceremonies.startAssertion("alice");
        key.challengeOverride = Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[32]);
        String answer = key.authenticate(start.optionsJson());
        assertRejectedBecause(() -> ceremonies.finishAssertion(start.requestJson(), answer), "challenge");
    }

    @Test
    void anAssertionAnswerCannotBeReplayedAgainstANewChallenge() throws Exception {
        registerAlice();
        key.counter = 1;
        AssertionStart first = ceremonies.startAssertion("alice");
        String answer = key.authenticate(first.optionsJson());
        VerifiedAssertion verified = ceremonies.finishAssertion(first.requestJson(), answer);
        repository.updateSignatureCount(verified.credentialId(), verified.signatureCount());
        AssertionStart second = ceremonies.startAssertion("alice");
        assertRejectedBecause(() -> ceremonies.finishAssertion(second.requestJson(), answer), "challenge");
    }

    @Test
    void assertionSignedByAnotherKeyIsRejected() throws Exception {
        registerAlice();
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        key.signingKeyOverride = generator.generateKeyPair().getPrivate();
        key.counter = 1;
        AssertionStart start = ceremonies.startAssertion("alice");
        String answer = key.authenticate(start.optionsJson());
        assertRejectedBecause(() -> ceremonies.finishAssertion(start.requestJson(), answer), "signature");
    }

    @Test
    void assertionWithAnUnregisteredCredentialIsRejected() throws Exception {
        registerAlice();
        SoftwareAuthenticator stranger = new SoftwareAuthenticator(ORIGIN);
        // The stranger claims alice's user handle but its credential was never registered.
        RegistrationStart ignored = ceremonies.startRegistration("alice", "Alice", ALICE_HANDLE);
        stranger.register(ignored.optionsJson());
        AssertionStart start = ceremonies.startAssertion("alice");
        String answer = stranger.authenticate(start.optionsJson());
        assertRejectedBecause(() -> ceremonies.finishAssertion(start.requestJson(), answer), "credential");
    }

    @Test
    void aSignatureCounterThatGoesBackwardsIsRejected() throws Exception {
        key.counter = 5;
        registerAlice();
        key.counter = 10;
        AssertionStart first = ceremonies.startAssertion("alice");
        VerifiedAssertion verified = ceremonies.finishAssertion(first.requestJson(), key.authenticate(first.optionsJson()));
        repository.updateSignatureCount(verified.credentialId(), verified.signatureCount());

        key.counter = 7; // a clone that lagged behind the original
        AssertionStart second = ceremonies.startAssertion("alice");
        String answer = key.authenticate(second.optionsJson());
        WebAuthnRejected rejected = rejection(() -> ceremonies.finishAssertion(second.requestJson(), answer));
        assertThat(rejected.reason()).isEqualTo(WebAuthnRejected.Reason.COUNTER_NOT_INCREASED);
        assertThat(rejected.getCause()).isInstanceOf(InvalidSignatureCountException.class);
    }

    @Test
    void aSignatureCounterThatDoesNotAdvanceIsRejected() throws Exception {
        key.counter = 5;
        registerAlice();
        AssertionStart start = ceremonies.startAssertion("alice");
        String answer = key.authenticate(start.optionsJson()); // still 5
        assertThat(reasonOf(() -> ceremonies.finishAssertion(start.requestJson(), answer)))
                .isEqualTo(WebAuthnRejected.Reason.COUNTER_NOT_INCREASED);
    }

    @Test
    void authenticatorsWithoutACounterAreAccepted() throws Exception {
        // WebAuthn: a counter that is always 0 means the authenticator does not keep one (passkeys).
        key.counter = 0;
        registerAlice();
        for (int i = 0; i < 2; i++) {
            AssertionStart start = ceremonies.startAssertion("alice");
            VerifiedAssertion verified = ceremonies.finishAssertion(start.requestJson(), key.authenticate(start.optionsJson()));
            assertThat(verified.signatureCount()).isZero();
        }
    }

    @Test
    void malformedAssertionAnswersAreRejectedNeverThrownThrough() throws Exception {
        registerAlice();
        AssertionStart start = ceremonies.startAssertion("alice");
        for (String answer : new String[] {null, "", "{", "null", "{}", "[1,2]", "{\"type\":\"public-key\",\"id\":\"AA\"}"}) {
            assertThat(reasonOf(() -> ceremonies.finishAssertion(start.requestJson(), answer))).as(answer)
                    .isIn(WebAuthnRejected.Reason.MALFORMED, WebAuthnRejected.Reason.NOT_VERIFIED);
        }
    }
}
