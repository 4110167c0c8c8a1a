package dev.portcullis.enrollment.totp;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.bouncycastle.util.encoders.Base32;

/**
 * The secret shared with a user's authenticator app. Core keeps it (encrypted at rest) as
 * {@link #base32()}; it is shown to the user once, in the enrollment QR code.
 * {@code toString} never shows it; equality is constant-time.
 */
public final class TotpSecret {

    /** 160 bits: RFC 4226's recommended length, and the HMAC-SHA1 block it is used with. */
    public static final int BYTES = 20;
    /**
     * Shortest secret {@link #fromBase32} accepts: RFC 4226 requires at least 128 bits; we accept
     * whole multiples of 40 bits (8 Base32 characters, no padding), so 160 is the least.
     */
    static final int MIN_BYTES = 20;
    /**
     * Longest secret {@link #fromBase32} accepts: 320 bits, twice what we mint. Longer adds no strength
     * to a 160-bit HMAC-SHA1 output, and bounding it bounds what a tampered row can feed the HMAC.
     */
    static final int MAX_BYTES = 40;
    /** Longest text {@link #fromBase32} looks at, before stripping spaces: bounds the work on hostile input. */
    static final int MAX_TEXT_LENGTH = 256;
    private static final Pattern BASE32 = Pattern.compile("(?:[A-Z2-7]{8})+");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] secret;

    private TotpSecret(byte[] secret) {
        this.secret = secret.clone();
    }

    /** 160 fresh bits from {@link SecureRandom}. */
    public static TotpSecret generate() {
        byte[] bytes = new byte[BYTES];
        RANDOM.nextBytes(bytes);
        try {
            return new TotpSecret(bytes);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    /**
     * Reads a stored secret: RFC 4648 Base32 in either case, spaces ignored, a length that is a
     * multiple of 8 characters (no padding) between 160 and 320 bits. Empty for anything else.
     */
    public static Optional<TotpSecret> fromBase32(String text) {
        if (text == null || text.length() > MAX_TEXT_LENGTH) {
            return Optional.empty();
        }
        String canonical = text.replace(" ", "").toUpperCase(Locale.ROOT);
        if (!BASE32.matcher(canonical).matches()) {
            return Optional.empty();
        }
        byte[] bytes = Base32.decode(canonical);
        try {
            if (bytes.length < MIN_BYTES || bytes.length > MAX_BYTES) {
                return Optional.empty();
            }
            return Optional.of(new TotpSecret(bytes));
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    /** Upper-case RFC 4648 Base32 without padding: what authenticator apps take and what core stores. */
    public String base32() {
        return Base32.toBase32String(secret);
    }

    /** A copy of the raw secret, for tests and for computing codes. */
    byte[] bytes() {
        return secret.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TotpSecret other && MessageDigest.isEqual(secret, other.secret);
    }

    /** Constant: nothing derived from the secret. */
    @Override
    public int hashCode() {
        return 0x7074;
    }

    @Override
    public String toString() {
        return "TotpSecret[<redacted>]";
    }
}
