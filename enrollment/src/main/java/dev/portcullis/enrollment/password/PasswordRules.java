package dev.portcullis.enrollment.password;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * What a new password must be, with a message the user can act on when it is not. Length follows
 * NIST SP 800-63B (a floor, a generous ceiling, no composition rules); the other rules refuse what
 * guessing attacks try first: the most common passwords, one repeated character and the user's own
 * name or e-mail address.
 * <p>
 * No message ever repeats the password or a personal word back.
 */
public final class PasswordRules {

    /** Fewest characters (code points): 12 keeps offline guessing of an Argon2id hash impractical. */
    public static final int MIN_CODE_POINTS = 12;
    /** Most characters (code points): room for any passphrase, while bounding the work of hashing. */
    public static final int MAX_CODE_POINTS = 128;
    /** Personal words shorter than this are ignored: "al" or "li" would refuse too many good passwords. */
    public static final int MIN_PERSONAL_WORD_CODE_POINTS = 4;

    /** The rule in one sentence, for the page to show before the user types (API: {@code passwordRules}). */
    public static final String DESCRIPTION = "Use at least 12 characters; a passphrase of several words works well.";

    static final String EMPTY = "Enter a password.";
    static final String TOO_SHORT = DESCRIPTION;
    static final String TOO_LONG = "Use at most 128 characters.";
    static final String COMMON = "That password is one of the most commonly used ones. "
            + "Choose something less predictable, such as a few unrelated words.";
    static final String REPEATED = "That password is one character repeated. "
            + "Choose something less predictable, such as a few unrelated words.";
    static final String PERSONAL = "Don't use your name or e-mail address in your password.";

    private static final String COMMON_RESOURCE = "common-passwords.txt";
    /** Trailing digits and symbols people append to a common word to pass a rule ("Password2024!"). */
    private static final String APPENDED_SUFFIX = "[\\p{N}\\p{P}\\p{S}\\s]+$";
    private static final Set<String> COMMON_PASSWORDS = loadCommonPasswords();

    private PasswordRules() {
    }

    /**
     * Empty if {@code password} is acceptable, else the first rule it breaks as a message for the user.
     *
     * @param personalWords the user's name, e-mail address, display name and the like; each is also
     *        split at anything that is not a letter or digit ({@code alice.smith@example.com} gives
     *        {@code alice}, {@code smith}, {@code example}, {@code com}), and only words of at least
     *        {@link #MIN_PERSONAL_WORD_CODE_POINTS} code points count
     */
    public static Optional<String> problem(char[] password, Collection<String> personalWords) {
        if (password == null || password.length == 0) {
            return Optional.of(EMPTY);
        }
        // Bound the work before building any String: 2 chars per code point at most.
        if (password.length > 2 * MAX_CODE_POINTS) {
            return Optional.of(TOO_LONG);
        }
        String text = new String(password);
        int codePoints = text.codePointCount(0, text.length());
        if (codePoints < MIN_CODE_POINTS) {
            return Optional.of(TOO_SHORT);
        }
        if (codePoints > MAX_CODE_POINTS) {
            return Optional.of(TOO_LONG);
        }
        String lower = text.toLowerCase(Locale.ROOT);
        if (isCommon(lower)) {
            return Optional.of(COMMON);
        }
        if (lower.codePoints().distinct().count() == 1) {
            return Optional.of(REPEATED);
        }
        if (containsPersonalWord(lower, personalWords)) {
            return Optional.of(PERSONAL);
        }
        return Optional.empty();
    }

    private static boolean isCommon(String lower) {
        return COMMON_PASSWORDS.contains(lower) || COMMON_PASSWORDS.contains(lower.replaceFirst(APPENDED_SUFFIX, ""));
    }

    private static boolean containsPersonalWord(String lower, Collection<String> personalWords) {
        if (personalWords == null) {
            return false;
        }
        for (String word : personalWordsOf(personalWords)) {
            if (lower.contains(word)) {
                return true;
            }
        }
        return false;
    }

    /** Each given word whole and split at non-letters/digits, lowercased, keeping only the long enough ones. */
    static List<String> personalWordsOf(Collection<String> given) {
        List<String> words = new ArrayList<>();
        for (String g : given) {
            // A display name is short; anything longer is not a name and is not worth scanning.
            if (g == null || g.length() > 2 * MAX_CODE_POINTS) {
                continue;
            }
            String lower = g.strip().toLowerCase(Locale.ROOT);
            addIfLongEnough(words, lower);
            for (String part : lower.split("[^\\p{L}\\p{N}]+")) {
                addIfLongEnough(words, part);
            }
        }
        return words;
    }

    private static void addIfLongEnough(List<String> words, String word) {
        if (word.codePointCount(0, word.length()) >= MIN_PERSONAL_WORD_CODE_POINTS) {
            words.add(word);
        }
    }

    private static Set<String> loadCommonPasswords() {
        Set<String> set = new HashSet<>();
        try (InputStream in = PasswordRules.class.getResourceAsStream(COMMON_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + COMMON_RESOURCE);
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = reader.readLine()) != null) {
                String entry = line.strip().toLowerCase(Locale.ROOT);
                if (!entry.isEmpty() && !entry.startsWith("#")) {
                    set.add(entry);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Set.copyOf(set);
    }
}
