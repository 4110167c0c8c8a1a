package dev.portcullis.enrollment.recovery;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A user's set of recovery codes, and the normalisation of a typed code into the hash core looks up.
 * <p>
 * Core stores the {@link RecoveryCode#sha256()} of each generated code, shows the codes once, and on
 * use looks up {@link #hashOfTyped} among the user's unused hashes and marks the match used (in the
 * same transaction, so a code cannot be spent twice concurrently).
 */
public final class RecoveryCodes {

    /** Ten codes: enough for years of lost phones, few enough to print or store; GitHub and Google use 10 too. */
    public static final int COUNT = 10;
    /**
     * Longest typed text looked at: the 19-character display form with generous room for stray
     * spaces; checked before any normalisation runs.
     */
    static final int MAX_TYPED_LENGTH = 64;
    private static final Pattern CANONICAL = Pattern.compile("[a-z2-7]{" + RecoveryCode.CHARACTERS + "}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private RecoveryCodes() {
    }

    /** {@link #COUNT} fresh, distinct codes. */
    public static List<RecoveryCode> generate() {
        List<RecoveryCode> codes = new ArrayList<>(COUNT);
        Set<RecoveryCode> seen = new HashSet<>();
        while (codes.size() < COUNT) {
            byte[] bytes = new byte[RecoveryCode.BYTES];
            RANDOM.nextBytes(bytes);
            RecoveryCode code = new RecoveryCode(bytes);
            Arrays.fill(bytes, (byte) 0);
            if (seen.add(code)) { // a repeat among 2^80 is all but impossible, but costs nothing to exclude
                codes.add(code);
            }
        }
        return List.copyOf(codes);
    }

    /**
     * The SHA-256 of what the user typed, in canonical form, to look up among stored hashes; empty if
     * it cannot be a recovery code. Case, spaces and dashes are ignored, and the digits 0 and 1,
     * which Base32 never uses, are read as the letters o and l they are mistaken for.
     */
    public static Optional<byte[]> hashOfTyped(String typed) {
        if (typed == null || typed.length() > MAX_TYPED_LENGTH) {
            return Optional.empty();
        }
        String canonical = typed.toLowerCase(Locale.ROOT)
                .replace(" ", "").replace("-", "")
                .replace('0', 'o').replace('1', 'l');
        if (!CANONICAL.matcher(canonical).matches()) {
            return Optional.empty();
        }
        return Optional.of(RecoveryCode.hashOfCanonical(canonical));
    }
}
