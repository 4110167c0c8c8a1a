package dev.portcullis.enrollment.recovery;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import org.bouncycastle.util.encoders.Base32;

/**
 * One recovery code: 80 random bits, shown as {@code xxxx-xxxx-xxxx-xxxx} in lower-case RFC 4648
 * Base32. Only the object returned by {@link RecoveryCodes#generate()} holds the plaintext; core
 * stores {@link #sha256()}. {@code toString} never shows it; equality is constant-time.
 * <p>
 * The canonical form that is hashed is the 16 lower-case Base32 characters without dashes, in ASCII.
 * An unsalted SHA-256 is adequate: 80 random bits cannot be enumerated (2^80 guesses even with a
 * leaked table), unlike a password, which is why a slow hash is not needed.
 */
public final class RecoveryCode {

    /** 80 bits: 10 random bytes; unguessable online and impractical offline, yet short enough to type. */
    public static final int BYTES = 10;
    /** Base32 characters of the canonical form: 80 bits / 5 bits per character. */
    static final int CHARACTERS = 16;
    /** Characters per dash-separated group, for reading aloud and typing. */
    static final int GROUP = 4;

    private final byte[] secret;

    RecoveryCode(byte[] secret) {
        if (secret == null || secret.length != BYTES) {
            throw new IllegalArgumentException("a recovery code is 10 bytes");
        }
        this.secret = secret.clone();
    }

    /** The code as the user sees it, e.g. {@code abcd-efgh-ijkl-mnop}. Show it once. */
    public String reveal() {
        String canonical = canonical();
        StringBuilder shown = new StringBuilder(CHARACTERS + CHARACTERS / GROUP);
        for (int i = 0; i < CHARACTERS; i += GROUP) {
            if (i > 0) {
                shown.append('-');
            }
            shown.append(canonical, i, i + GROUP);
        }
        return shown.toString();
    }

    /** SHA-256 over the canonical form (16 lower-case Base32 characters, ASCII): what core stores. */
    public byte[] sha256() {
        return hashOfCanonical(canonical());
    }

    /** Constant-time comparison with a stored hash. */
    public boolean matchesHash(byte[] storedSha256) {
        return storedSha256 != null && MessageDigest.isEqual(sha256(), storedSha256);
    }

    private String canonical() {
        return Base32.toBase32String(secret).toLowerCase(Locale.ROOT);
    }

    static byte[] hashOfCanonical(String canonical) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JRE lacks SHA-256", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RecoveryCode other && MessageDigest.isEqual(secret, other.secret);
    }

    /** Constant: nothing derived from the secret. */
    @Override
    public int hashCode() {
        return 0x7263;
    }

    @Override
    public String toString() {
        return "RecoveryCode[<redacted>]";
    }
}
