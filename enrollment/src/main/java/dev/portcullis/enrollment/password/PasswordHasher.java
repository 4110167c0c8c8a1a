package dev.portcullis.enrollment.password;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Argon2id password hashes as PHC strings:
 * {@code $argon2id$v=19$m=<KiB>,t=<iterations>,p=<lanes>$<salt>$<hash>} (standard base64, no padding).
 * <p>
 * {@link #verify} reads the parameters from the stored string, so hashes made before a parameter
 * change keep verifying ({@link #needsRehash} says when to replace one after a successful login).
 * It refuses parameters beyond fixed bounds, so a tampered database row cannot make one login
 * attempt allocate gigabytes or spin for minutes. Nothing here throws on a malformed string.
 * <p>
 * The caller owns the {@code char[]} password and should wipe it; every array made here is wiped.
 */
public final class PasswordHasher {

    /** 19 MiB: the OWASP Password Storage Cheat Sheet's first Argon2id configuration (m=19456, t=2, p=1). */
    public static final int MEMORY_KIB = 19_456;
    /** 2 passes over memory: OWASP's pairing with 19 MiB; measured at about 55 ms per hash with BouncyCastle on a 2-vCPU build machine. */
    public static final int ITERATIONS = 2;
    /** 1 lane: OWASP's setting; BouncyCastle fills lanes on one thread anyway, so more lanes add no speed. */
    public static final int PARALLELISM = 1;
    /** 128-bit salt: RFC 9106's recommendation; unique per hash, so no two users share precomputation. */
    public static final int SALT_BYTES = 16;
    /** 256-bit output: RFC 9106's recommendation; far beyond any collision or guessing concern. */
    public static final int HASH_BYTES = 32;

    /**
     * Largest memory cost {@link #verify} will spend: 256 MiB, 13 times today's cost, leaves room to
     * raise {@link #MEMORY_KIB} for years; a row asking more was tampered with and would let one
     * request exhaust the heap.
     */
    static final int MAX_MEMORY_KIB = 262_144;
    /** Most passes {@link #verify} will run: 10 is 5 times today's; more turns one login into a CPU DoS. */
    static final int MAX_ITERATIONS = 10;
    /** Most lanes {@link #verify} accepts: 8 covers any sane setting; lanes multiply per-hash overhead. */
    static final int MAX_PARALLELISM = 8;
    /** Salt lengths accepted on verify: RFC 9106 requires at least 8 bytes; 64 is far beyond any real salt. */
    static final int MIN_SALT_BYTES = 8;
    static final int MAX_SALT_BYTES = 64;
    /** Hash lengths accepted on verify: 16 bytes is the least worth trusting; 64 bounds the work and the row. */
    static final int MIN_HASH_BYTES = 16;
    static final int MAX_HASH_BYTES = 64;
    /**
     * Longest PHC string {@link #verify} parses: a maximal one (64-byte salt and hash, 6-digit
     * parameters) is about 220 characters; the bound is checked before any regular expression runs.
     */
    static final int MAX_PHC_LENGTH = 256;
    /**
     * Longest password accepted for hashing, in chars: generous over {@link PasswordRules#MAX_CODE_POINTS}
     * (a code point is at most two chars) so the rules, not this, decide; it only stops a huge input
     * from being encoded and hashed.
     */
    static final int MAX_PASSWORD_CHARS = 1024;

    private static final String ALGORITHM = "argon2id";
    private static final int VERSION = Argon2Parameters.ARGON2_VERSION_13; // 0x13 = 19
    private static final Pattern PHC = Pattern.compile(
            "\\$argon2id\\$v=(\\d{1,3})\\$m=(\\d{1,7}),t=(\\d{1,3}),p=(\\d{1,3})"
                    + "\\$([A-Za-z0-9+/]{11,86})\\$([A-Za-z0-9+/]{22,86})");
    private static final SecureRandom RANDOM = new SecureRandom();

    private PasswordHasher() {
    }

    /** The parameters and material of one parsed PHC string. */
    private record Phc(int version, int memoryKib, int iterations, int parallelism, byte[] salt, byte[] hash) {
    }

    /**
     * Hashes {@code password} with a fresh random salt and today's parameters.
     *
     * @throws IllegalArgumentException if the password is null or longer than {@link #MAX_PASSWORD_CHARS}
     *         chars (check {@link PasswordRules#problem} first; the message never contains the password)
     */
    public static String hash(char[] password) {
        if (password == null || password.length > MAX_PASSWORD_CHARS) {
            throw new IllegalArgumentException("password missing or too long to hash");
        }
        byte[] salt = new byte[SALT_BYTES];
        RANDOM.nextBytes(salt);
        byte[] hash = derive(password, VERSION, MEMORY_KIB, ITERATIONS, PARALLELISM, salt, HASH_BYTES)
                .orElseThrow(() -> new IllegalArgumentException("password cannot be encoded as UTF-8"));
        try {
            Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
            return "$" + ALGORITHM + "$v=" + VERSION + "$m=" + MEMORY_KIB + ",t=" + ITERATIONS + ",p=" + PARALLELISM
                    + "$" + b64.encodeToString(salt) + "$" + b64.encodeToString(hash);
        } finally {
            Arrays.fill(hash, (byte) 0);
        }
    }

    /**
     * True only if {@code phc} is a well-formed Argon2id hash within the bounds above and
     * {@code password} hashes to it (compared in constant time). False, never an exception, for a
     * null, malformed, out-of-bounds or non-Argon2id string.
     */
    public static boolean verify(char[] password, String phc) {
        if (password == null || password.length > MAX_PASSWORD_CHARS) {
            return false;
        }
        Optional<Phc> parsed = parse(phc);
        if (parsed.isEmpty()) {
            return false;
        }
        Phc p = parsed.get();
        Optional<byte[]> computed = derive(password, p.version(), p.memoryKib(), p.iterations(), p.parallelism(),
                p.salt(), p.hash().length);
        if (computed.isEmpty()) {
            return false;
        }
        byte[] actual = computed.get();
        try {
            return MessageDigest.isEqual(actual, p.hash());
        } finally {
            Arrays.fill(actual, (byte) 0);
        }
    }

    /**
     * True when {@code phc} should be replaced by a fresh {@link #hash} the next time the user proves
     * the password: it uses other parameters than today's, or it cannot be parsed at all.
     */
    public static boolean needsRehash(String phc) {
        return parse(phc).map(p -> p.version() != VERSION || p.memoryKib() != MEMORY_KIB
                        || p.iterations() != ITERATIONS || p.parallelism() != PARALLELISM
                        || p.salt().length != SALT_BYTES || p.hash().length != HASH_BYTES)
                .orElse(true);
    }

    private static Optional<Phc> parse(String phc) {
        if (phc == null || phc.length() > MAX_PHC_LENGTH) {
            return Optional.empty();
        }
        Matcher m = PHC.matcher(phc);
        if (!m.matches()) {
            return Optional.empty();
        }
        int version = Integer.parseInt(m.group(1));
        int memory = Integer.parseInt(m.group(2));
        int iterations = Integer.parseInt(m.group(3));
        int parallelism = Integer.parseInt(m.group(4));
        if (version != VERSION
                || iterations < 1 || iterations > MAX_ITERATIONS
                || parallelism < 1 || parallelism > MAX_PARALLELISM
                // Argon2 needs at least 8 KiB per lane.
                || memory < 8 * parallelism || memory > MAX_MEMORY_KIB) {
            return Optional.empty();
        }
        byte[] salt;
        byte[] hash;
        try {
            salt = Base64.getDecoder().decode(m.group(5));
            hash = Base64.getDecoder().decode(m.group(6));
        } catch (IllegalArgumentException e) {
            return Optional.empty(); // e.g. a length that is 1 mod 4
        }
        if (salt.length < MIN_SALT_BYTES || salt.length > MAX_SALT_BYTES
                || hash.length < MIN_HASH_BYTES || hash.length > MAX_HASH_BYTES) {
            return Optional.empty();
        }
        return Optional.of(new Phc(version, memory, iterations, parallelism, salt, hash));
    }

    /** Argon2id over the UTF-8 bytes of the password; empty if the chars are not valid UTF-16. */
    private static Optional<byte[]> derive(char[] password, int version, int memoryKib, int iterations,
                                           int parallelism, byte[] salt, int outputBytes) {
        byte[] encoded = utf8(password).orElse(null);
        if (encoded == null) {
            return Optional.empty();
        }
        try {
            Argon2Parameters parameters = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                    .withVersion(version)
                    .withMemoryAsKB(memoryKib)
                    .withIterations(iterations)
                    .withParallelism(parallelism)
                    .withSalt(salt)
                    .build();
            Argon2BytesGenerator generator = new Argon2BytesGenerator();
            generator.init(parameters);
            byte[] out = new byte[outputBytes];
            generator.generateBytes(encoded, out);
            return Optional.of(out);
        } finally {
            Arrays.fill(encoded, (byte) 0);
        }
    }

    /** UTF-8 bytes of the password in an array we own and wipe; a lone surrogate is an error, not '?'. */
    private static Optional<byte[]> utf8(char[] password) {
        CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer buffer;
        try {
            buffer = encoder.encode(CharBuffer.wrap(password));
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        // The encoder's heap buffer held the plaintext too.
        if (buffer.hasArray()) {
            Arrays.fill(buffer.array(), (byte) 0);
        }
        return Optional.of(bytes);
    }
}
