package dev.portcullis.compliance;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * TOTP codes from Debian's {@code oathtool}, independently of Portcullis's own TOTP code: if both
 * agree, the secret a user is shown really works in a standard authenticator app.
 */
final class Oathtool {

    /** RFC 6238 default step, which the enrollment API's otpauth URI names (period=30). */
    private static final long STEP_SECONDS = 30;
    /** Never hand out a code with less than this left in its step: it could expire in flight. */
    private static final long MIN_SECONDS_LEFT = 3;

    private Oathtool() {
    }

    /** The current code for a Base32 secret (spaces allowed, as pages group it). */
    static String totp(String base32Secret) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(STEP_SECONDS).toNanos();
        while (STEP_SECONDS - Instant.now().getEpochSecond() % STEP_SECONDS < MIN_SECONDS_LEFT) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("clock did not reach the next TOTP step");
            }
            Thread.sleep(200);
        }
        String secret = base32Secret.replaceAll("\\s", "").toUpperCase(java.util.Locale.ROOT);
        // oathtool refuses unpadded Base32 whose length is not a multiple of 8.
        StringBuilder padded = new StringBuilder(secret.replace("=", ""));
        while (padded.length() % 8 != 0) {
            padded.append('=');
        }
        Process process = new ProcessBuilder("oathtool", "--totp", "-b", padded.toString())
                .redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0 || !out.matches("\\d{6}")) {
            throw new AssertionError("oathtool failed for a secret of " + secret.length() + " characters: " + out);
        }
        return out;
    }
}
