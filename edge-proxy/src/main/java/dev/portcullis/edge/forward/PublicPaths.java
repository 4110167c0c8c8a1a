package dev.portcullis.edge.forward;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Which public paths go to core, which paths are too ambiguous to carry, and how a path may
 * appear in a log line.
 */
public final class PublicPaths {

    /**
     * Everything core serves to the public lives under these. The pages under {@code /enroll/},
     * {@code /reset/} and {@code /mfa/} are the proxy's own static files and never reach core;
     * all else is answered at the edge.
     */
    public static final List<String> FORWARDED_PREFIXES = List.of("/api/");
    /**
     * Paths whose remainder is a secret (an invite, password-reset or tunnel-MFA hand-off token): a
     * log line shows only the prefix. Browsers do not send the link's {@code #fragment}, so that
     * needs no care.
     */
    public static final List<String> SECRET_BEARING_PREFIXES = List.of("/enroll/", "/reset/", "/mfa/");
    /** What stands in for a secret path segment in logs. */
    public static final String REDACTED = "<redacted>";
    /** A log line shows at most this much of a path; the rest of a long path says nothing useful. */
    public static final int MAX_LOGGED_PATH_LENGTH = 128;

    private PublicPaths() {
    }

    public static boolean isForwarded(String rawPath) {
        return FORWARDED_PREFIXES.stream().anyMatch(rawPath::startsWith);
    }

    /**
     * The path as a log line may show it: never the token of an invite, reset or MFA link, never the
     * query string, no control characters, bounded in length.
     */
    public static String forLog(String rawPath) {
        String path = rawPath == null ? "" : rawPath;
        int query = path.indexOf('?');
        if (query >= 0) {
            path = path.substring(0, query);
        }
        String decoded = percentDecode(path);
        if (decoded == null) {
            // Cannot tell what it says, so it could say anything: show none of it.
            return REDACTED;
        }
        // Compared decoded and case-folded: "/%65nroll/<token>" or "/ENROLL/<token>" carry a token too.
        String folded = decoded.toLowerCase(java.util.Locale.ROOT);
        for (String prefix : SECRET_BEARING_PREFIXES) {
            if (folded.startsWith(prefix) && folded.length() > prefix.length()) {
                return prefix + REDACTED;
            }
        }
        StringBuilder safe = new StringBuilder(Math.min(path.length(), MAX_LOGGED_PATH_LENGTH + 3));
        for (int i = 0; i < path.length() && i < MAX_LOGGED_PATH_LENGTH; i++) {
            char c = path.charAt(i);
            safe.append(c < 0x20 || c >= 0x7f ? '?' : c);
        }
        if (path.length() > MAX_LOGGED_PATH_LENGTH) {
            safe.append("...");
        }
        return safe.toString();
    }

    /**
     * True for a path that could mean a different path once decoded and normalized: dot segments
     * (plain or percent-encoded), encoded separators, backslashes, control characters, broken
     * escapes or bytes that are not strict UTF-8. Such a path could start with {@code /api/} here and point elsewhere in core.
     */
    public static boolean isAmbiguous(String rawPath) {
        String decoded = percentDecode(rawPath);
        if (decoded == null || decoded.indexOf('\\') >= 0 || decoded.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            return true;
        }
        String lower = rawPath.toLowerCase(java.util.Locale.ROOT);
        if (lower.contains("%2f") || lower.contains("%5c")) {
            return true;
        }
        for (String segment : decoded.split("/", -1)) {
            if (".".equals(segment) || "..".equals(segment)) {
                return true;
            }
        }
        return false;
    }

    /** Strict percent-decoding (no '+' rule, which is for query strings); null if an escape or the UTF-8 is malformed. */
    private static String percentDecode(String raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length()) {
                    return null;
                }
                int high = Character.digit(raw.charAt(i + 1), 16);
                int low = Character.digit(raw.charAt(i + 2), 16);
                if (high < 0 || low < 0) {
                    return null;
                }
                out.write(high << 4 | low);
                i += 2;
            } else if (c > 0x7e) {
                return null;
            } else {
                out.write(c);
            }
        }
        // Strict UTF-8: an overlong or broken sequence (e.g. %c0%ae for '.') is not valid and
        // could be read as something else by a lenient decoder further on.
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(out.toByteArray()))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
