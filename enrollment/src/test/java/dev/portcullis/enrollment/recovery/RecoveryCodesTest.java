package dev.portcullis.enrollment.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RecoveryCodesTest {

    @Test
    void tenDistinctCodesAreGeneratedInTheDisplayFormat() {
        List<RecoveryCode> codes = RecoveryCodes.generate();
        assertThat(codes).hasSize(RecoveryCodes.COUNT).hasSize(10);
        Set<String> shown = new HashSet<>();
        for (RecoveryCode code : codes) {
            assertThat(code.reveal()).matches("[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}");
            shown.add(code.reveal());
        }
        assertThat(shown).hasSize(10);
    }

    @Test
    void eachCodeCarries80RandomBits() {
        // 16 Base32 characters x 5 bits; over many codes every one of the 32 symbols appears in every position.
        Set<Character> firstChars = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            for (RecoveryCode code : RecoveryCodes.generate()) {
                firstChars.add(code.reveal().charAt(0));
            }
        }
        assertThat(firstChars).hasSize(32);
    }

    @Test
    void theStoredHashIsSha256OfTheCanonical16Characters() throws Exception {
        RecoveryCode code = RecoveryCodes.generate().get(0);
        String canonical = code.reveal().replace("-", "");
        assertThat(code.sha256()).isEqualTo(
                MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.US_ASCII)));
        assertThat(code.matchesHash(code.sha256())).isTrue();
        assertThat(code.matchesHash(RecoveryCodes.generate().get(0).sha256())).isFalse();
        assertThat(code.matchesHash(null)).isFalse();
    }

    @Test
    void aTypedCodeHashesLikeTheGeneratedOneIgnoringCaseSpacesAndDashes() {
        RecoveryCode code = RecoveryCodes.generate().get(0);
        String shown = code.reveal();
        for (String typed : List.of(shown, shown.toUpperCase(), shown.replace("-", ""), shown.replace("-", " "),
                " " + shown + " ", shown.replace("-", " - "))) {
            assertThat(RecoveryCodes.hashOfTyped(typed)).as(typed).hasValueSatisfying(
                    h -> assertThat(h).isEqualTo(code.sha256()));
        }
    }

    @Test
    void digitsZeroAndOneAreReadAsTheLettersOAndL() {
        byte[] letters = RecoveryCodes.hashOfTyped("oooo-llll-abcd-efgh").orElseThrow();
        assertThat(RecoveryCodes.hashOfTyped("0000-1111-ABCD-EFGH")).hasValueSatisfying(h -> assertThat(h).isEqualTo(letters));
    }

    @Test
    void typedTextOfTheWrongLengthOrAlphabetIsRefusedWithoutThrowing() {
        String[] bad = {null, "", "abcd-efgh-ijkl-mno", "abcd-efgh-ijkl-mnopq", "abcd-efgh-ijkl-mn8p", "abcd-efgh-ijkl-mn9p",
                "abcd_efgh_ijkl_mnop", "abcd.efgh.ijkl.mnop", "ábcd-efgh-ijkl-mnop", "abcd-efgh-ijkl-mnop\n",
                "a".repeat(1_000_000), "-".repeat(60) + "abcdefghijklmnop"};
        for (String typed : bad) {
            assertThat(RecoveryCodes.hashOfTyped(typed)).as(String.valueOf(typed).length() > 80 ? "long" : typed).isEmpty();
        }
    }

    @Test
    void toStringNeverRevealsTheCode() {
        RecoveryCode code = RecoveryCodes.generate().get(0);
        assertThat(code.toString()).isEqualTo("RecoveryCode[<redacted>]");
        assertThat(RecoveryCodes.generate().toString()).doesNotContainPattern("[a-z2-7]{4}-[a-z2-7]{4}");
    }

    @Test
    void codesAreEqualOnlyToTheSameValue() {
        List<RecoveryCode> codes = RecoveryCodes.generate();
        assertThat(codes.get(0)).isEqualTo(codes.get(0)).isNotEqualTo(codes.get(1)).hasSameHashCodeAs(codes.get(1));
    }
}
