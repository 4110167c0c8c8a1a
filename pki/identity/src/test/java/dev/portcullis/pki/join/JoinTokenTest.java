package dev.portcullis.pki.join;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.pki.cert.CaFingerprint;
import dev.portcullis.pki.join.JoinToken.MalformedTokenException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class JoinTokenTest {

    private static final String COMPONENT = "0b5c6f3e-9a1d-4c2b-8e7f-1a2b3c4d5e6f";
    private static final CaFingerprint FINGERPRINT = CaFingerprint.fromHex("00112233445566778899aabbccddeeff".repeat(2));
    private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
    /** The one message every malformed token gets: no oracle about which part was wrong. */
    private static final String NEUTRAL_MESSAGE = new MalformedTokenException().getMessage();

    private final JoinToken token = JoinToken.mint(COMPONENT, FINGERPRINT);

    @Test
    void aMintedTokenSurvivesRevealAndParse() throws Exception {
        JoinToken parsed = JoinToken.parse(token.reveal());

        assertThat(parsed.componentId()).isEqualTo(COMPONENT);
        assertThat(parsed.tokenId()).isEqualTo(token.tokenId()).matches("[0-9a-f]{16}");
        assertThat(parsed.secret()).isEqualTo(token.secret()).hasSize(JoinToken.SECRET_BYTES);
        assertThat(parsed.caFingerprint()).isEqualTo(FINGERPRINT);
        assertThat(parsed.reveal()).isEqualTo(token.reveal()).startsWith("pcj1." + COMPONENT + ".");
    }

    @Test
    void aTokenPastedWithSurroundingWhitespaceStillParses() throws Exception {
        assertThat(JoinToken.parse("  " + token.reveal() + "\n").secret()).isEqualTo(token.secret());
    }

    @Test
    void everyMintedTokenHasItsOwnIdAndSecret() {
        JoinToken another = JoinToken.mint(COMPONENT, FINGERPRINT);

        assertThat(another.tokenId()).isNotEqualTo(token.tokenId());
        assertThat(another.secret()).isNotEqualTo(token.secret());
    }

    @Test
    void theStoredHashIsSha256OfTheSecret() throws Exception {
        byte[] expected = MessageDigest.getInstance("SHA-256").digest(token.secret());

        assertThat(token.secretHash()).isEqualTo(expected);
        assertThat(JoinToken.hash(token.secret())).isEqualTo(expected);
    }

    @Test
    void onlyTheMintedSecretMatchesItsHash() {
        byte[] hash = token.secretHash();
        byte[] wrong = token.secret();
        wrong[0] ^= 1;

        assertThat(JoinToken.secretMatches(token.secret(), hash)).isTrue();
        assertThat(JoinToken.secretMatches(wrong, hash)).isFalse();
        assertThat(JoinToken.secretMatches(JoinToken.mint(COMPONENT, FINGERPRINT).secret(), hash)).isFalse();
    }

    @Test
    void aSecretOfTheWrongLengthOrNothingNeverMatches() {
        byte[] hash = token.secretHash();
        byte[] shorter = java.util.Arrays.copyOf(token.secret(), JoinToken.SECRET_BYTES - 1);
        byte[] longer = java.util.Arrays.copyOf(token.secret(), JoinToken.SECRET_BYTES + 1);

        assertThat(JoinToken.secretMatches(shorter, JoinToken.hash(shorter))).isFalse();
        assertThat(JoinToken.secretMatches(longer, JoinToken.hash(longer))).isFalse();
        assertThat(JoinToken.secretMatches(new byte[0], JoinToken.hash(new byte[0]))).isFalse();
        assertThat(JoinToken.secretMatches(null, hash)).isFalse();
        assertThat(JoinToken.secretMatches(token.secret(), null)).isFalse();
        assertThat(JoinToken.secretMatches(token.secret(), new byte[0])).isFalse();
    }

    static Stream<Arguments> malformedTokens() {
        JoinToken good = JoinToken.mint(COMPONENT, FINGERPRINT);
        String[] p = good.reveal().split("\\.");
        String secret = p[3];
        String fingerprint = p[4];
        return Stream.of(
                Arguments.of("null", null),
                Arguments.of("empty", ""),
                Arguments.of("blank", " \t\n"),
                Arguments.of("too long", good.reveal() + " ".repeat(JoinToken.MAX_TEXT_LENGTH)),
                Arguments.of("too long component", join("pcj1", "c".repeat(JoinToken.MAX_TEXT_LENGTH), p[2], secret, fingerprint)),
                Arguments.of("wrong prefix", join("pcj2", COMPONENT, p[2], secret, fingerprint)),
                Arguments.of("upper-case prefix", join("PCJ1", COMPONENT, p[2], secret, fingerprint)),
                Arguments.of("four parts", join("pcj1", COMPONENT, p[2], secret)),
                Arguments.of("six parts", join("pcj1", COMPONENT, p[2], secret, fingerprint, "x")),
                Arguments.of("trailing dot", good.reveal() + "."),
                Arguments.of("token id not hex", join("pcj1", COMPONENT, "zzzzzzzzzzzzzzzz", secret, fingerprint)),
                Arguments.of("token id upper case", join("pcj1", COMPONENT, "ABCDEF0123456789", secret, fingerprint)),
                Arguments.of("token id too short", join("pcj1", COMPONENT, p[2].substring(1), secret, fingerprint)),
                Arguments.of("token id too long", join("pcj1", COMPONENT, p[2] + "0", secret, fingerprint)),
                Arguments.of("secret not base64", join("pcj1", COMPONENT, p[2], "!" + secret.substring(1), fingerprint)),
                Arguments.of("fingerprint not base64", join("pcj1", COMPONENT, p[2], secret, "*" + fingerprint.substring(1))),
                Arguments.of("secret 31 bytes", join("pcj1", COMPONENT, p[2], B64URL.encodeToString(new byte[31]), fingerprint)),
                Arguments.of("secret 33 bytes", join("pcj1", COMPONENT, p[2], B64URL.encodeToString(new byte[33]), fingerprint)),
                Arguments.of("empty secret", join("pcj1", COMPONENT, p[2], "", fingerprint)),
                Arguments.of("fingerprint 31 bytes", join("pcj1", COMPONENT, p[2], secret, B64URL.encodeToString(new byte[31]))),
                Arguments.of("fingerprint 33 bytes", join("pcj1", COMPONENT, p[2], secret, B64URL.encodeToString(new byte[33]))),
                Arguments.of("empty component id", join("pcj1", "", p[2], secret, fingerprint)));
    }

    private static String join(String... parts) {
        return String.join(".", parts);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedTokens")
    void aMalformedTokenIsRefusedWithOneNeutralMessage(String description, String text) {
        assertThatThrownBy(() -> JoinToken.parse(text))
                .isInstanceOf(MalformedTokenException.class)
                .hasMessage(NEUTRAL_MESSAGE)
                .hasNoCause();
    }

    @Test
    void aRefusedTokenIsNotEchoedBackInTheMessage() {
        String[] parts = token.reveal().split("\\.");
        String wrongPrefix = "pcj2" + token.reveal().substring(4);

        assertThatThrownBy(() -> JoinToken.parse(wrongPrefix))
                .isInstanceOf(MalformedTokenException.class)
                .hasMessageNotContaining(parts[3])
                .hasMessageNotContaining(parts[2])
                .hasMessageNotContaining(COMPONENT);
    }

    @Test
    void aTokenJustUnderTheLengthLimitIsNotRefusedForItsLength() throws Exception {
        String text = token.reveal();
        String padded = text + " ".repeat(JoinToken.MAX_TEXT_LENGTH - text.length());

        assertThat(padded).hasSize(JoinToken.MAX_TEXT_LENGTH);
        assertThat(JoinToken.parse(padded).tokenId()).isEqualTo(token.tokenId());
    }

    @Test
    void toStringNeverShowsTheSecretInAnyEncoding() {
        byte[] secret = token.secret();
        String shown = token.toString();

        assertThat(shown).contains(COMPONENT).contains(token.tokenId()).contains("redacted");
        assertThat(shown)
                .doesNotContain(B64URL.encodeToString(secret))
                .doesNotContain(Base64.getEncoder().encodeToString(secret))
                .doesNotContain(Base64.getEncoder().withoutPadding().encodeToString(secret))
                .doesNotContainIgnoringCase(HexFormat.of().formatHex(secret))
                .doesNotContain(HexFormat.of().formatHex(token.secretHash()))
                .doesNotContain(token.reveal());
    }

    @Test
    void theSecretHandedOutIsACopy() {
        byte[] handedOut = token.secret();
        byte[] original = handedOut.clone();

        java.util.Arrays.fill(handedOut, (byte) 0);

        assertThat(token.secret()).isEqualTo(original);
        assertThat(JoinToken.secretMatches(token.secret(), JoinToken.hash(original))).isTrue();
    }
}
