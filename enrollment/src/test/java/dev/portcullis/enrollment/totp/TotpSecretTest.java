package dev.portcullis.enrollment.totp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TotpSecretTest {

    @Test
    void aGeneratedSecretIs160BitsAs32Base32Characters() {
        TotpSecret secret = TotpSecret.generate();
        assertThat(secret.base32()).matches("[A-Z2-7]{32}");
        assertThat(secret.bytes()).hasSize(20);
    }

    @Test
    void generatedSecretsDiffer() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            assertThat(seen.add(TotpSecret.generate().base32())).isTrue();
        }
    }

    @Test
    void theStoredBase32FormReadsBackToAnEqualSecret() {
        TotpSecret secret = TotpSecret.generate();
        assertThat(TotpSecret.fromBase32(secret.base32())).contains(secret);
    }

    @Test
    void readingIgnoresCaseAndSpacesAsAuthenticatorAppsShowThem() {
        TotpSecret secret = TotpSecret.generate();
        String grouped = secret.base32().toLowerCase().replaceAll("(.{4})", "$1 ");
        assertThat(TotpSecret.fromBase32(grouped)).contains(secret);
    }

    @Test
    void readingRefusesAnythingButBase32Of160To320BitsWithoutThrowing() {
        String good = TotpSecret.generate().base32();
        String[] bad = {null, "", "        ", good.substring(0, 16), good.substring(0, 31), good + "A",
                good.substring(0, 31) + "1", good.substring(0, 31) + "0", good.substring(0, 31) + "8",
                good.substring(0, 30) + "==", good + good + "AAAAAAAA", "A".repeat(10_000),
                good.substring(0, 31) + "é"};
        for (String text : bad) {
            assertThat(TotpSecret.fromBase32(text)).as(String.valueOf(text).length() > 80 ? "long" : text).isEmpty();
        }
        assertThat(TotpSecret.fromBase32(good + good)).isPresent(); // 320 bits
    }

    @Test
    void toStringNeverRevealsTheSecretAndEqualityIsByValue() {
        TotpSecret secret = TotpSecret.generate();
        assertThat(secret.toString()).isEqualTo("TotpSecret[<redacted>]").doesNotContain(secret.base32());
        assertThat(secret).isEqualTo(TotpSecret.fromBase32(secret.base32()).orElseThrow())
                .isNotEqualTo(TotpSecret.generate())
                .hasSameHashCodeAs(TotpSecret.generate());
    }
}
