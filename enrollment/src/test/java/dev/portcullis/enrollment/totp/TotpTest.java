package dev.portcullis.enrollment.totp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.util.encoders.Base32;
import org.junit.jupiter.api.Test;

class TotpTest {

    /** RFC 6238 appendix B: the SHA1 seed is the ASCII string "12345678901234567890". */
    private static final TotpSecret RFC_SECRET = TotpSecret.fromBase32(
            Base32.toBase32String("12345678901234567890".getBytes(StandardCharsets.US_ASCII))).orElseThrow();
    private static final Path OATHTOOL = Path.of("/usr/bin/oathtool");

    @Test
    void codesMatchTheRfc6238Sha1TestVectorsTruncatedTo6Digits() {
        // {Unix time, 8-digit code from RFC 6238 appendix B}; 6 digits are the low 6 (HOTP takes the value mod 10^digits).
        long[][] vectors = {
                {59L, 94287082L}, {1111111109L, 7081804L}, {1111111111L, 14050471L},
                {1234567890L, 89005924L}, {2000000000L, 69279037L}, {20000000000L, 65353130L}};
        for (long[] v : vectors) {
            String expected = String.format("%06d", v[1] % 1_000_000);
            Instant at = Instant.ofEpochSecond(v[0]);
            assertThat(Totp.codeFor(RFC_SECRET, at)).as("t=%d", v[0]).isEqualTo(expected);
            assertThat(Totp.matchingStep(RFC_SECRET, expected, at)).as("t=%d", v[0]).hasValue(v[0] / 30);
        }
    }

    @Test
    void codesMatchAnIndependentHmacSha1ImplementationForRandomSecrets() throws Exception {
        for (int i = 0; i < 50; i++) {
            TotpSecret secret = TotpSecret.generate();
            long unix = 1_700_000_000L + i * 7_919L;
            String expected = rfc6238(Base32.decode(secret.base32()), unix / 30);
            assertThat(Totp.codeFor(secret, Instant.ofEpochSecond(unix))).isEqualTo(expected);
            assertThat(Totp.matchingStep(secret, expected, Instant.ofEpochSecond(unix))).hasValue(unix / 30);
        }
    }

    @Test
    void codesMatchOathtool() throws Exception {
        if (!Files.isExecutable(OATHTOOL)) {
            fail("oathtool is missing at " + OATHTOOL + ": run scripts/install-os-packages (this test is never skipped)");
        }
        for (int i = 0; i < 5; i++) {
            TotpSecret secret = TotpSecret.generate();
            long unix = 1_600_000_000L + i * 1_234_567L;
            String code = oathtool(secret.base32(), unix);
            assertThat(code).matches("\\d{6}");
            assertThat(Totp.codeFor(secret, Instant.ofEpochSecond(unix))).isEqualTo(code);
            assertThat(Totp.matchingStep(secret, code, Instant.ofEpochSecond(unix))).hasValue(unix / 30);
        }
        // And oathtool agrees with the RFC secret too.
        assertThat(oathtool(RFC_SECRET.base32(), 1111111109L)).isEqualTo("081804");
    }

    @Test
    void aCodeFromOneStepEitherSideIsAcceptedAndReportsItsOwnStep() {
        TotpSecret secret = TotpSecret.generate();
        Instant now = Instant.ofEpochSecond(1_700_000_015L);
        long step = now.getEpochSecond() / 30;
        for (long offset = -1; offset <= 1; offset++) {
            String code = Totp.codeFor(secret, now.plusSeconds(30 * offset));
            OptionalLong matched = Totp.matchingStep(secret, code, now);
            assertThat(matched).isPresent();
            // Unless two steps share a code (1 in a million), the step is the code's own.
            assertThat(Totp.codeFor(secret, Instant.ofEpochSecond(matched.getAsLong() * 30))).isEqualTo(code);
            assertThat(matched.getAsLong()).isBetween(step - 1, step + 1);
        }
    }

    @Test
    void aCodeFromTwoStepsAwayIsRefused() {
        // Fixed secret and time: the five codes around it are distinct, so this is deterministic.
        Instant now = Instant.ofEpochSecond(1111111111L);
        assertThat(Totp.matchingStep(RFC_SECRET, Totp.codeFor(RFC_SECRET, now.minusSeconds(60)), now)).isEmpty();
        assertThat(Totp.matchingStep(RFC_SECRET, Totp.codeFor(RFC_SECRET, now.plusSeconds(60)), now)).isEmpty();
        assertThat(Totp.matchingStep(RFC_SECRET, Totp.codeFor(RFC_SECRET, now), now.plusSeconds(3600))).isEmpty();
    }

    @Test
    void theMatchedStepLetsCoreRefuseAReplayedCode() {
        TotpSecret secret = TotpSecret.generate();
        Instant now = Instant.ofEpochSecond(1_700_000_000L);
        String code = Totp.codeFor(secret, now);
        long lastUsedStep = Totp.matchingStep(secret, code, now).orElseThrow();
        // The same code 20 s later still matches, but its step is not after the last used one: core refuses it.
        long replayStep = Totp.matchingStep(secret, code, now.plusSeconds(20)).orElseThrow();
        assertThat(replayStep).isLessThanOrEqualTo(lastUsedStep);
        // The next period's code has a later step and is accepted.
        String next = Totp.codeFor(secret, now.plusSeconds(30));
        assertThat(Totp.matchingStep(secret, next, now.plusSeconds(30)).orElseThrow()).isGreaterThan(lastUsedStep);
    }

    @Test
    void spacesInTheCodeAreIgnored() {
        Instant at = Instant.ofEpochSecond(59);
        assertThat(Totp.matchingStep(RFC_SECRET, "287 082", at)).hasValue(1);
        assertThat(Totp.matchingStep(RFC_SECRET, " 287082 ", at)).hasValue(1);
        assertThat(Totp.matchingStep(RFC_SECRET, "2 8 7 0 8 2", at)).hasValue(1);
    }

    @Test
    void anythingButExactlySixAsciiDigitsIsRefusedWithoutThrowing() {
        Instant at = Instant.ofEpochSecond(59);
        String[] bad = {null, "", "28708", "2870820", "0287082", "28708a", "+87082", "-87082", "287\t082",
                "٢٨٧٠٨٢", "２８７０８２", "287082\n", "2".repeat(1_000_000), " ".repeat(40) + "287082"};
        for (String code : bad) {
            assertThat(Totp.matchingStep(RFC_SECRET, code, at)).isEmpty();
        }
    }

    @Test
    void timesBeforeTheEpochMatchNothing() {
        assertThat(Totp.matchingStep(RFC_SECRET, "287082", Instant.ofEpochSecond(-100))).isEmpty();
    }

    @Test
    void otpauthUriHasTheEncodedLabelAndAllParameters() {
        TotpSecret secret = RFC_SECRET;
        URI uri = Totp.otpauthUri(secret, "Portcullis", "alice@example.com");
        assertThat(uri.toString()).isEqualTo("otpauth://totp/Portcullis:alice%40example.com?secret="
                + "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Portcullis&algorithm=SHA1&digits=6&period=30");
        assertThat(uri.getScheme()).isEqualTo("otpauth");
        assertThat(uri.getHost()).isEqualTo("totp");
        assertThat(uri.getPath()).isEqualTo("/Portcullis:alice@example.com");
    }

    @Test
    void otpauthUriPercentEncodesSpacesAndNonAsciiInBothLabelAndIssuer() {
        URI uri = Totp.otpauthUri(TotpSecret.generate(), "Acme VPN & Co", "zoë smith");
        assertThat(uri.getRawPath()).isEqualTo("/Acme%20VPN%20%26%20Co:zo%C3%AB%20smith");
        assertThat(uri.getRawQuery()).contains("&issuer=Acme%20VPN%20%26%20Co&");
        assertThat(uri.getPath()).isEqualTo("/Acme VPN & Co:zoë smith");
    }

    @Test
    void otpauthUriRefusesColonsAndBlankParts() {
        TotpSecret secret = TotpSecret.generate();
        assertThatThrownBy(() -> Totp.otpauthUri(secret, "Port:cullis", "alice")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Totp.otpauthUri(secret, "Portcullis", "al:ice")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Totp.otpauthUri(secret, " ", "alice")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Totp.otpauthUri(secret, "Portcullis", null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Totp.otpauthUri(secret, "Portcullis", "a".repeat(129)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** RFC 6238 / RFC 4226 with javax.crypto directly: independent of GoogleAuth. */
    private static String rfc6238(byte[] key, long step) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA1");
        mac.init(new SecretKeySpec(key, "HmacSHA1"));
        byte[] h = mac.doFinal(ByteBuffer.allocate(8).putLong(step).array());
        int offset = h[h.length - 1] & 0x0f;
        int binary = ((h[offset] & 0x7f) << 24) | ((h[offset + 1] & 0xff) << 16)
                | ((h[offset + 2] & 0xff) << 8) | (h[offset + 3] & 0xff);
        return String.format("%06d", binary % 1_000_000);
    }

    private static String oathtool(String base32, long unix) throws Exception {
        Process process = new ProcessBuilder(OATHTOOL.toString(), "--totp", "-b", "-N", "@" + unix, base32)
                .redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(out).isZero();
        return out;
    }
}
