package dev.portcullis.enrollment.password;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class PasswordHasherTest {

    private static final Pattern PHC = Pattern.compile(
            "\\$argon2id\\$v=19\\$m=(\\d+),t=(\\d+),p=(\\d+)\\$([A-Za-z0-9+/]+)\\$([A-Za-z0-9+/]+)");
    /** From the Argon2 reference implementation's own tests (phc-winner-argon2 src/test.c): "password", salt "somesalt". */
    private static final String REFERENCE_VECTOR =
            "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";

    @Test
    void hashIsAnArgon2idPhcStringWithTheOwaspParametersA16ByteSaltAnd32ByteOutput() {
        String phc = PasswordHasher.hash("violet tractor lantern".toCharArray());
        Matcher m = PHC.matcher(phc);
        assertThat(m.matches()).as(phc).isTrue();
        assertThat(m.group(1)).isEqualTo("19456");
        assertThat(m.group(2)).isEqualTo("2");
        assertThat(m.group(3)).isEqualTo("1");
        assertThat(Base64.getDecoder().decode(m.group(4))).hasSize(16);
        assertThat(Base64.getDecoder().decode(m.group(5))).hasSize(32);
        assertThat(m.group(4) + m.group(5)).doesNotContain("=");
        assertThat(phc).doesNotContain("violet");
    }

    @Test
    void theRightPasswordVerifiesAndAWrongOneDoesNot() {
        String phc = PasswordHasher.hash("violet tractor lantern".toCharArray());
        assertThat(PasswordHasher.verify("violet tractor lantern".toCharArray(), phc)).isTrue();
        assertThat(PasswordHasher.verify("violet tractor lanterN".toCharArray(), phc)).isFalse();
        assertThat(PasswordHasher.verify("".toCharArray(), phc)).isFalse();
    }

    @Test
    void theSamePasswordHashesDifferentlyEachTimeBecauseOfTheRandomSalt() {
        char[] password = "violet tractor lantern".toCharArray();
        assertThat(PasswordHasher.hash(password)).isNotEqualTo(PasswordHasher.hash(password));
    }

    @Test
    void nonAsciiPasswordsAreHashedAsUtf8() {
        String phc = PasswordHasher.hash("pässwörd-🔑-ünïcode".toCharArray());
        assertThat(PasswordHasher.verify("pässwörd-🔑-ünïcode".toCharArray(), phc)).isTrue();
        assertThat(PasswordHasher.verify("passwörd-🔑-ünïcode".toCharArray(), phc)).isFalse();
    }

    @Test
    void aHashFromTheReferenceImplementationVerifies() {
        assertThat(PasswordHasher.verify("password".toCharArray(), REFERENCE_VECTOR)).isTrue();
        assertThat(PasswordHasher.verify("passwore".toCharArray(), REFERENCE_VECTOR)).isFalse();
    }

    @Test
    void oldHashesWithOtherParametersKeepVerifyingButNeedRehash() {
        // The reference vector uses m=65536,t=2,p=1 and an 8-byte salt: not today's parameters.
        assertThat(PasswordHasher.verify("password".toCharArray(), REFERENCE_VECTOR)).isTrue();
        assertThat(PasswordHasher.needsRehash(REFERENCE_VECTOR)).isTrue();
        assertThat(PasswordHasher.needsRehash(PasswordHasher.hash("violet tractor lantern".toCharArray()))).isFalse();
    }

    @Test
    void needsRehashIsTrueForAnythingUnparseable() {
        assertThat(PasswordHasher.needsRehash(null)).isTrue();
        assertThat(PasswordHasher.needsRehash("")).isTrue();
        assertThat(PasswordHasher.needsRehash("$2b$10$abcdefghijklmnopqrstuv")).isTrue();
    }

    @Test
    void tamperedParametersThatWouldExhaustMemoryOrCpuAreRefusedWithoutHashing() {
        String salt = "c29tZXNhbHQ";
        String hash = "CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";
        char[] password = "password".toCharArray();
        // 4 GiB with a 1 GiB test heap: would throw OutOfMemoryError if it were attempted.
        assertThat(PasswordHasher.verify(password, "$argon2id$v=19$m=4194304,t=2,p=1$" + salt + "$" + hash)).isFalse();
        assertThat(PasswordHasher.verify(password, "$argon2id$v=19$m=262145,t=2,p=1$" + salt + "$" + hash)).isFalse();
        assertThat(PasswordHasher.verify(password, "$argon2id$v=19$m=65536,t=11,p=1$" + salt + "$" + hash)).isFalse();
        assertThat(PasswordHasher.verify(password, "$argon2id$v=19$m=65536,t=999,p=1$" + salt + "$" + hash)).isFalse();
        assertThat(PasswordHasher.verify(password, "$argon2id$v=19$m=65536,t=2,p=9$" + salt + "$" + hash)).isFalse();
        assertThat(PasswordHasher.verify(password, "$argon2id$v=19$m=65536,t=0,p=1$" + salt + "$" + hash)).isFalse();
        assertThat(PasswordHasher.verify(password, "$argon2id$v=19$m=65536,t=2,p=0$" + salt + "$" + hash)).isFalse();
        assertThat(PasswordHasher.verify(password, "$argon2id$v=19$m=7,t=2,p=1$" + salt + "$" + hash)).isFalse();
        assertThat(PasswordHasher.verify(password, "$argon2id$v=19$m=99999999999,t=2,p=1$" + salt + "$" + hash)).isFalse();
    }

    @Test
    void malformedOrForeignStringsAreRefusedWithoutThrowing() {
        char[] password = "password".toCharArray();
        String[] bad = {
                null, "", "password", "$argon2id$", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ",
                REFERENCE_VECTOR.replace("argon2id", "argon2i"),
                REFERENCE_VECTOR.replace("argon2id", "argon2d"),
                REFERENCE_VECTOR.replace("v=19", "v=16"),
                REFERENCE_VECTOR.replace("v=19$", ""),
                REFERENCE_VECTOR + "$extra",
                REFERENCE_VECTOR + "=",
                REFERENCE_VECTOR.replace("c29tZXNhbHQ", "c29tZXNhbH"),       // 7-byte salt: below the 8-byte minimum
                REFERENCE_VECTOR.replace("c29tZXNhbHQ", "c29tZXNhbHQ*"),
                REFERENCE_VECTOR.replace("c29tZXNhbHQ", "c29tZXNhbHQAA"),    // 13 chars: not valid base64
                REFERENCE_VECTOR.replace("CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", "CTFhFdXPJO1aFaMa"),
                REFERENCE_VECTOR.replace("m=65536,t=2,p=1", "t=2,m=65536,p=1"),
                REFERENCE_VECTOR.replace("m=65536", "m=-65536"),
                " " + REFERENCE_VECTOR,
                REFERENCE_VECTOR + "\n",
                "$argon2id$v=19$m=65536,t=2,p=1$" + "A".repeat(10_000) + "$" + "A".repeat(43),
                "$".repeat(1_000_000),
        };
        for (String phc : bad) {
            assertThat(PasswordHasher.verify(password, phc)).as(String.valueOf(phc).length() > 200 ? "long" : phc).isFalse();
        }
    }

    @Test
    void verifyRefusesAMissingOrOverlongPasswordWithoutThrowing() {
        assertThat(PasswordHasher.verify(null, REFERENCE_VECTOR)).isFalse();
        assertThat(PasswordHasher.verify(new char[PasswordHasher.MAX_PASSWORD_CHARS + 1], REFERENCE_VECTOR)).isFalse();
    }

    @Test
    void verifyRefusesAPasswordThatIsNotValidUtf16() {
        String phc = PasswordHasher.hash("violet tractor lantern".toCharArray());
        assertThat(PasswordHasher.verify(new char[] {'a', '\uD800', 'b'}, phc)).isFalse();
    }

    @Test
    void hashRefusesAMissingOrOverlongPasswordWithAMessageThatDoesNotEchoIt() {
        assertThatThrownBy(() -> PasswordHasher.hash(null)).isInstanceOf(IllegalArgumentException.class);
        char[] huge = "secret-".repeat(200).toCharArray();
        assertThatThrownBy(() -> PasswordHasher.hash(huge))
                .isInstanceOf(IllegalArgumentException.class)
                .message().doesNotContain("secret");
    }
}
