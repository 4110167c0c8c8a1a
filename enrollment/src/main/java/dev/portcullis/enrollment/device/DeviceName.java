package dev.portcullis.enrollment.device;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The rules for a device's name. The name appears in the admin UI, in audit records, in log lines
 * and as the suggested {@code wg-quick} file name, so it is restricted to ASCII letters, digits,
 * space, dot, dash and underscore: no control characters, no look-alike Unicode, nothing a shell
 * or a log parser treats specially.
 */
public final class DeviceName {

    /** Most characters: 63, the DNS label limit, so a name can become a hostname label after slugging. */
    public static final int MAX_LENGTH = 63;
    private static final Pattern ALLOWED = Pattern.compile("[A-Za-z0-9 ._-]+");

    static final String EMPTY = "Enter a name for this device.";
    static final String TOO_LONG = "Use at most " + MAX_LENGTH + " characters for the device name.";
    static final String BAD_CHARACTERS = "Use only letters, digits, spaces, dots, dashes and underscores in the device name.";
    static final String EDGE_SPACE = "Remove the spaces at the start or end of the device name.";

    private DeviceName() {
    }

    /** Empty if {@code name} is acceptable as it is, else the rule it breaks as a message for the user. */
    public static Optional<String> problem(String name) {
        if (name == null || name.isEmpty()) {
            return Optional.of(EMPTY);
        }
        if (name.length() > MAX_LENGTH) {
            return Optional.of(TOO_LONG);
        }
        if (!ALLOWED.matcher(name).matches()) {
            return Optional.of(BAD_CHARACTERS);
        }
        if (name.isBlank()) {
            return Optional.of(EMPTY);
        }
        if (name.charAt(0) == ' ' || name.charAt(name.length() - 1) == ' ') {
            return Optional.of(EDGE_SPACE);
        }
        return Optional.empty();
    }
}
