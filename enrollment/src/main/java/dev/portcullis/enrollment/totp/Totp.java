package dev.portcullis.enrollment.totp;

import com.warrenstrange.googleauth.GoogleAuthenticator;
import com.warrenstrange.googleauth.GoogleAuthenticatorConfig;
import com.warrenstrange.googleauth.HmacHashFunction;
import com.warrenstrange.googleauth.KeyRepresentation;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * TOTP (RFC 6238) with the parameters every authenticator app supports. Codes are computed by the
 * GoogleAuth library; this class adds strict input handling, the enrollment URI and the matched
 * time step.
 * <p>
 * <b>Replay.</b> {@link #matchingStep} returns the time step a code belongs to. A code is valid for
 * up to three steps (the window), so on its own a code could be used again within 90 seconds. Core
 * must store the last step it accepted for each user (atomically with the login) and refuse any
 * code whose step is less than or equal to it: that makes every code single-use, and also refuses
 * an older code after a newer one was used.
 */
public final class Totp {

    /** 30-second steps: RFC 6238's default, the only period every authenticator app supports. */
    public static final int PERIOD_SECONDS = 30;
    /** 6 digits: what every authenticator app shows; with the rate limits in core, guessing stays impractical. */
    public static final int DIGITS = 6;
    /** HMAC-SHA1: RFC 6238's default; many apps ignore the algorithm parameter and always use it. SHA1's collision weakness does not affect HMAC. */
    public static final String ALGORITHM = "SHA1";
    /**
     * Steps accepted either side of now: 1, as RFC 6238 section 5.2 recommends, tolerating a phone
     * clock up to about 30 s off and the time it takes to type; a wider window helps guessing.
     */
    public static final int WINDOW_STEPS = 1;
    /** Longest code text looked at before stripping spaces: a grouped "123 456" with stray spaces fits easily. */
    static final int MAX_CODE_TEXT_LENGTH = 32;
    /** Longest issuer or account name put in an enrollment URI; a QR code of more gets hard to scan. */
    static final int MAX_LABEL_PART_LENGTH = 128;

    private static final GoogleAuthenticator CODES = new GoogleAuthenticator(
            new GoogleAuthenticatorConfig.GoogleAuthenticatorConfigBuilder()
                    .setTimeStepSizeInMillis(TimeUnit.SECONDS.toMillis(PERIOD_SECONDS))
                    .setCodeDigits(DIGITS)
                    .setHmacHashFunction(HmacHashFunction.HmacSHA1)
                    .setKeyRepresentation(KeyRepresentation.BASE32)
                    .setWindowSize(2 * WINDOW_STEPS + 1)
                    .build());

    private Totp() {
    }

    /**
     * The {@code otpauth://totp/} URI an authenticator app reads from the enrollment QR code
     * (Google's Key Uri Format): label {@code issuer:account}, each part percent-encoded, and the
     * parameters secret, issuer, algorithm, digits and period. It contains the secret: show it once,
     * never log it.
     *
     * @throws IllegalArgumentException if issuer or account is blank, contains a colon (the label
     *         separator) or is longer than {@link #MAX_LABEL_PART_LENGTH}
     */
    public static URI otpauthUri(TotpSecret secret, String issuer, String account) {
        Objects.requireNonNull(secret, "secret");
        requireLabelPart(issuer, "issuer");
        requireLabelPart(account, "account");
        return URI.create("otpauth://totp/" + percentEncode(issuer) + ":" + percentEncode(account)
                + "?secret=" + secret.base32()
                + "&issuer=" + percentEncode(issuer)
                + "&algorithm=" + ALGORITHM
                + "&digits=" + DIGITS
                + "&period=" + PERIOD_SECONDS);
    }

    /**
     * The time step (Unix seconds / {@value #PERIOD_SECONDS}) whose code {@code code} is, looking
     * {@value #WINDOW_STEPS} step either side of {@code now}; empty if none matches or if the code is
     * not exactly {@value #DIGITS} ASCII digits (spaces are ignored). If two steps in the window
     * share the code, the latest is returned. Core refuses the code when the step is not greater than
     * the last step it accepted for this user (see the class comment). Never throws on user input.
     */
    public static OptionalLong matchingStep(TotpSecret secret, String code, Instant now) {
        Objects.requireNonNull(secret, "secret");
        Objects.requireNonNull(now, "now");
        byte[] typed = normalizedCode(code);
        if (typed == null) {
            return OptionalLong.empty();
        }
        long current = Math.floorDiv(now.getEpochSecond(), PERIOD_SECONDS);
        if (current - WINDOW_STEPS < 0) {
            return OptionalLong.empty(); // no codes before 1970
        }
        String base32 = secret.base32();
        long matched = -1;
        // Compute every step of the window, so timing does not tell which one matched.
        for (long step = current - WINDOW_STEPS; step <= current + WINDOW_STEPS; step++) {
            if (MessageDigest.isEqual(typed, codeAt(base32, step))) {
                matched = step;
            }
        }
        return matched < 0 ? OptionalLong.empty() : OptionalLong.of(matched);
    }

    /** The code for {@code step}, zero-padded to {@value #DIGITS} ASCII digits. */
    static byte[] codeAt(String base32, long step) {
        int code = CODES.getTotpPassword(base32, step * TimeUnit.SECONDS.toMillis(PERIOD_SECONDS));
        return String.format("%0" + DIGITS + "d", code).getBytes(StandardCharsets.US_ASCII);
    }

    /** The code for the step containing {@code at}; for tests and tools, never for a response. */
    static String codeFor(TotpSecret secret, Instant at) {
        long step = Math.floorDiv(at.getEpochSecond(), PERIOD_SECONDS);
        return new String(codeAt(secret.base32(), step), StandardCharsets.US_ASCII);
    }

    /** The typed code as ASCII bytes with spaces removed, or null unless it is exactly 6 ASCII digits. */
    private static byte[] normalizedCode(String code) {
        if (code == null || code.length() > MAX_CODE_TEXT_LENGTH) {
            return null;
        }
        String stripped = code.replace(" ", "");
        if (stripped.length() != DIGITS) {
            return null;
        }
        for (int i = 0; i < stripped.length(); i++) {
            char c = stripped.charAt(i);
            if (c < '0' || c > '9') {
                return null; // also refuses non-ASCII digits such as '٣'
            }
        }
        return stripped.getBytes(StandardCharsets.US_ASCII);
    }

    private static void requireLabelPart(String value, String what) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(what + " is empty");
        }
        if (value.length() > MAX_LABEL_PART_LENGTH) {
            throw new IllegalArgumentException(what + " is longer than " + MAX_LABEL_PART_LENGTH + " characters");
        }
        if (value.indexOf(':') >= 0) {
            throw new IllegalArgumentException(what + " must not contain ':' (the label separator)");
        }
    }

    /** RFC 3986 percent-encoding of UTF-8: only unreserved characters stay literal (a space is %20, not +). */
    static String percentEncode(String value) {
        StringBuilder out = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~') {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }
}
