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

    /** The code of one RFC 6238 time step (as oathtool computes it for that step's start). */
    static String totpAtStep(String base32Secret, long step) throws Exception {
        String secret = base32Secret.replaceAll("\\s", "").toUpperCase(java.util.Locale.ROOT);
        StringBuilder padded = new StringBuilder(secret.replace("=", ""));
        while (padded.length() % 8 != 0) {
            padded.append('=');
        }
        Process process = new ProcessBuilder("oathtool", "--totp", "-b", "-N", "@" + step * STEP_SECONDS, padded.toString())
                .redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0 || !out.matches("\\d{6}")) {
            throw new AssertionError("oathtool failed for step " + step + ": " + out);
        }
        return out;
    }

    /** The current time step. */
    static long step() {
        return Instant.now().getEpochSecond() / STEP_SECONDS;
    }

    /**
     * An authenticator app for tests that spend several codes in a row: core accepts each step once
     * and the steps next to now (one step of clock skew each way), so this hands out the oldest step
     * not yet spent within that window, and waits for the clock only when the window is used up.
     */
    static final class Codes {
        private final String secret;
        private long lastSpent;

        /** {@code spentUpTo}: the newest step already spent (the enrollment's confirmation, say). */
        Codes(String secret, long spentUpTo) {
            this.secret = secret;
            this.lastSpent = spentUpTo;
        }

        /** A code core will accept now, marked spent. */
        String next() throws Exception {
            long deadline = System.nanoTime() + java.time.Duration.ofSeconds(2 * STEP_SECONDS + 5).toNanos();
            while (true) {
                long now = step();
                // Leave a margin: a step about to fall out of the window could do so in flight.
                long oldest = STEP_SECONDS - Instant.now().getEpochSecond() % STEP_SECONDS < MIN_SECONDS_LEFT ? now : now - 1;
                long candidate = Math.max(oldest, lastSpent + 1);
                if (candidate <= now + 1) {
                    lastSpent = candidate;
                    return totpAtStep(secret, candidate);
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("no unspent TOTP step came up");
                }
                Thread.sleep(500);
            }
        }

        /** The last code handed out again (a replay). */
        String last() throws Exception {
            return totpAtStep(secret, lastSpent);
        }
    }
}
