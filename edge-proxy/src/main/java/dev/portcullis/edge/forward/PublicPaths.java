package dev.portcullis.edge.forward;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Which public paths go to core, and which paths are too ambiguous to carry. */
public final class PublicPaths {

    /** Everything core serves to the public lives under these; all else is answered 404 at the edge. */
    public static final List<String> FORWARDED_PREFIXES = List.of("/api/", "/enroll/");

    private PublicPaths() {
    }

    public static boolean isForwarded(String rawPath) {
        return FORWARDED_PREFIXES.stream().anyMatch(rawPath::startsWith);
    }

    /**
     * True for a path that could mean a different path once decoded and normalized: dot segments
     * (plain or percent-encoded), encoded separators, backslashes, control characters or broken
     * escapes. Such a path could start with {@code /api/} here and point elsewhere in core.
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

    /** Strict percent-decoding (no '+' rule, which is for query strings); null if an escape is malformed. */
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
        return out.toString(StandardCharsets.UTF_8);
    }
}
