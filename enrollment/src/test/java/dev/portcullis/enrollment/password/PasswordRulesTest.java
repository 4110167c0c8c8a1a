package dev.portcullis.enrollment.password;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PasswordRulesTest {

    private static final List<String> ALICE = List.of("asmith", "alice.smith@example.com", "Alice Smith");

    private static Optional<String> problem(String password) {
        return PasswordRules.problem(password.toCharArray(), ALICE);
    }

    @Test
    void theDescriptionIsOneSentenceThatStatesTheMinimumLength() {
        assertThat(PasswordRules.DESCRIPTION).contains("12").endsWith(".");
        assertThat(PasswordRules.DESCRIPTION.chars().filter(c -> c == '.').count()).isEqualTo(1);
    }

    @Test
    void aPassphraseOfSeveralWordsIsAccepted() {
        assertThat(problem("violet tractor lantern moss")).isEmpty();
        assertThat(problem("Zq8#mL2!vR9@")).isEmpty();
    }

    @Test
    void passwordsShorterThan12CharactersAreRefusedCountingCodePoints() {
        assertThat(problem("")).contains(PasswordRules.EMPTY);
        assertThat(PasswordRules.problem(null, ALICE)).contains(PasswordRules.EMPTY);
        assertThat(problem("violet-moss")).contains(PasswordRules.TOO_SHORT);       // 11
        assertThat(problem("violet-mosss")).isEmpty();                              // 12
        // 11 emoji are 22 chars but 11 code points: still too short.
        String elevenEmoji = "🍎🍐🍊🍋🍌🍉🍇🍓🫐🍈🍒";
        assertThat(elevenEmoji.length()).isEqualTo(22);
        assertThat(problem(elevenEmoji)).contains(PasswordRules.TOO_SHORT);
        assertThat(problem(elevenEmoji + "🍑")).isEmpty();
    }

    @Test
    void passwordsLongerThan128CharactersAreRefused() {
        String words = "violet tractor lantern moss ";
        String exactly128 = words.repeat(5).substring(0, 128);
        assertThat(problem(exactly128)).isEmpty();
        assertThat(problem(exactly128 + "x")).contains(PasswordRules.TOO_LONG);
        assertThat(problem("x".repeat(100_000))).contains(PasswordRules.TOO_LONG);
    }

    @Test
    void theMostCommonPasswordsAreRefusedIgnoringCase() {
        assertThat(problem("qwertyuiopasdf")).contains(PasswordRules.COMMON);
        assertThat(problem("QwertyUiopAsdf")).contains(PasswordRules.COMMON);
        assertThat(problem("PASSWORDPASSWORD")).contains(PasswordRules.COMMON);
        assertThat(problem("123456789012")).contains(PasswordRules.COMMON);
        assertThat(problem("correcthorsebatterystaple")).contains(PasswordRules.COMMON);
    }

    @Test
    void aCommonPasswordWithDigitsOrSymbolsAppendedIsRefused() {
        assertThat(problem("Password2024!")).contains(PasswordRules.COMMON);
        assertThat(problem("iloveyou123456")).contains(PasswordRules.COMMON);
        assertThat(problem("Welcome#1234")).contains(PasswordRules.COMMON);
        assertThat(problem("letmein!!!!!")).contains(PasswordRules.COMMON);
    }

    @Test
    void theBuiltInListHoldsAboutAHundredEntries() throws Exception {
        try (var in = PasswordRules.class.getResourceAsStream("common-passwords.txt")) {
            assertThat(in).isNotNull();
            long entries = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines()
                    .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).count();
            assertThat(entries).isBetween(90L, 200L);
        }
    }

    @Test
    void oneRepeatedCharacterIsRefused() {
        assertThat(problem("aaaaaaaaaaaaaa")).contains(PasswordRules.REPEATED);
        assertThat(problem("AaAaAaAaAaAaAa")).contains(PasswordRules.REPEATED);
        assertThat(problem("🔑".repeat(12))).contains(PasswordRules.REPEATED);
    }

    @Test
    void passwordsContainingTheUsersNameOrEmailAreRefusedIgnoringCase() {
        assertThat(problem("my-SMITH-family-99")).contains(PasswordRules.PERSONAL);
        assertThat(problem("alice-in-wonderland")).contains(PasswordRules.PERSONAL);
        assertThat(problem("xx asmith rocks xx")).contains(PasswordRules.PERSONAL);
        assertThat(problem("example lantern moss")).contains(PasswordRules.PERSONAL);
    }

    @Test
    void personalWordsShorterThan4CharactersAreIgnored() {
        List<String> bob = List.of("bo", "bo@ex.io", "Bo Li");
        assertThat(PasswordRules.problem("bolivian tractor lantern".toCharArray(), bob)).isEmpty();
        assertThat(PasswordRules.problem("violet tractor lantern".toCharArray(), null)).isEmpty();
    }

    @Test
    void noMessageRepeatsThePasswordOrAPersonalWord() {
        for (String password : List.of("violet-moss", "Password2024!", "aaaaaaaaaaaaaa", "my-SMITH-family-99")) {
            String message = problem(password).orElseThrow();
            assertThat(message.toLowerCase()).doesNotContain(password.toLowerCase()).doesNotContain("smith");
        }
    }
}
