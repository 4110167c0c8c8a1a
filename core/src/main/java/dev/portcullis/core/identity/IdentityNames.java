package dev.portcullis.core.identity;

import dev.portcullis.core.error.BadRequestException;
import dev.portcullis.core.error.NotFoundException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * What user and group names, e-mail addresses and display names may be. Logins and group names
 * end up in logs, URLs, shell commands and TOTP labels, so they need no quoting anywhere.
 */
public final class IdentityNames {

    /** Lower-case letters, digits, '.', '_' and '-'; starting with a letter or digit (so never "." or ".."). */
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
    /**
     * A deliberately plain address: ASCII, no quoting, no comments, a dotted domain. It goes into a
     * mail header, so nothing in it may need escaping or could start a new header line.
     */
    private static final Pattern EMAIL = Pattern.compile(
            "[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
                    + "(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+");
    /** RFC 5321's limit on a forward path. */
    public static final int MAX_EMAIL_CHARS = 254;
    /** RFC 5321's limit on the local part. */
    static final int MAX_LOCAL_PART_CHARS = 64;
    /** A name as people write it on a badge; longer does not fit any page or mail greeting. */
    public static final int MAX_DISPLAY_NAME_CHARS = 100;

    private IdentityNames() {
    }

    public static boolean isValidName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    public static String userName(String name) {
        if (!isValidName(name)) {
            throw new BadRequestException("user name must be 1 to 63 lower-case letters, digits, '.', '_' or '-', "
                    + "starting with a letter or digit");
        }
        return name;
    }

    public static String groupName(String name) {
        if (!isValidName(name)) {
            throw new BadRequestException("group name must be 1 to 63 lower-case letters, digits, '.', '_' or '-', "
                    + "starting with a letter or digit");
        }
        return name;
    }

    /** The address in lower case, or empty if it is not one we accept. */
    public static java.util.Optional<String> normalizedEmail(String email) {
        if (email == null || email.length() > MAX_EMAIL_CHARS) {
            return java.util.Optional.empty();
        }
        String lower = email.strip().toLowerCase(Locale.ROOT);
        int at = lower.indexOf('@');
        if (at < 1 || at > MAX_LOCAL_PART_CHARS || !EMAIL.matcher(lower).matches()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(lower);
    }

    public static String email(String email) {
        return normalizedEmail(email).orElseThrow(() -> new BadRequestException(
                "e-mail address must look like alice@example.com (ASCII, at most " + MAX_EMAIL_CHARS + " characters)"));
    }

    public static String displayName(String displayName) {
        String stripped = displayName == null ? "" : displayName.strip();
        if (stripped.isEmpty() || stripped.length() > MAX_DISPLAY_NAME_CHARS
                || stripped.codePoints().anyMatch(Character::isISOControl)) {
            throw new BadRequestException("display name must be 1 to " + MAX_DISPLAY_NAME_CHARS
                    + " characters without control characters");
        }
        return stripped;
    }

    /** "No such user", quoting the name only if it is a valid one (never echo arbitrary input). */
    public static NotFoundException noUser(String name) {
        return new NotFoundException(isValidName(name) ? "no user named '" + name + "'" : "no such user");
    }

    public static NotFoundException noGroup(String name) {
        return new NotFoundException(isValidName(name) ? "no group named '" + name + "'" : "no such group");
    }
}
