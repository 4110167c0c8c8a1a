package dev.portcullis.agent.enroll;

import dev.portcullis.agent.outcome.AgentFailure;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * A device's name, under the rules core enforces (enrollment's {@code DeviceName}): 1 to 63 ASCII
 * letters, digits, spaces, dots, dashes and underscores, not starting or ending with a space. The
 * default is this host's name made to fit; a name the user gives is checked, never silently changed.
 */
public final class DeviceName {

    /** Core's limit: the DNS label length, so a name can become a host name label. */
    static final int MAX_LENGTH = 63;
    /** Used when the host name has nothing usable left after cleaning. */
    static final String FALLBACK = "portcullis-agent";
    private static final Pattern ALLOWED = Pattern.compile("[A-Za-z0-9 ._-]{1," + MAX_LENGTH + "}");
    private static final Pattern DISALLOWED_CHARACTER = Pattern.compile("[^A-Za-z0-9 ._-]");
    /** Where Linux keeps the host name; reading it avoids a DNS lookup. */
    private static final Path LINUX_HOSTNAME = Path.of("/proc/sys/kernel/hostname");

    private DeviceName() {
    }

    /** The user's {@code --device-name}, if it follows the rules. */
    public static String checked(String name) {
        if (name == null || name.isBlank()) {
            throw AgentFailure.usage("--device-name must not be empty");
        }
        if (name.length() > MAX_LENGTH) {
            throw AgentFailure.usage("--device-name must be at most " + MAX_LENGTH + " characters");
        }
        if (!ALLOWED.matcher(name).matches()) {
            throw AgentFailure.usage("--device-name may use only letters, digits, spaces, dots, dashes and underscores");
        }
        if (name.charAt(0) == ' ' || name.charAt(name.length() - 1) == ' ') {
            throw AgentFailure.usage("--device-name must not start or end with a space");
        }
        return name;
    }

    /** This host's name, made to follow the rules. */
    public static String forThisHost() {
        return fromHostName(hostName());
    }

    static String fromHostName(String hostName) {
        if (hostName == null) {
            return FALLBACK;
        }
        String cleaned = DISALLOWED_CHARACTER.matcher(hostName.strip()).replaceAll("-");
        if (cleaned.length() > MAX_LENGTH) {
            cleaned = cleaned.substring(0, MAX_LENGTH);
        }
        cleaned = cleaned.strip();
        return cleaned.isEmpty() || cleaned.chars().allMatch(c -> c == '-') ? FALLBACK : cleaned;
    }

    private static String hostName() {
        try {
            if (Files.isReadable(LINUX_HOSTNAME)) {
                return Files.readString(LINUX_HOSTNAME, StandardCharsets.US_ASCII).strip();
            }
        } catch (IOException e) {
            // fall through to the portable way
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return null;
        }
    }
}
