package dev.portcullis.compliance.evidence;

/**
 * One raw observation behind a verdict: what was done (a command line, a file read, a request) and
 * what came back, cut to {@link #MAX_OUTPUT_CHARS}.
 */
public record Observation(String what, String output) {

    /**
     * An auditor reads each observation; a runaway command (a whole log, a binary) must neither
     * bloat the report nor hide the verdict line, so longer output keeps its head and its tail.
     */
    public static final int MAX_OUTPUT_CHARS = 6_000;

    public Observation {
        what = bounded(what == null ? "" : what);
        output = bounded(output == null ? "" : output);
    }

    static String bounded(String text) {
        if (text.length() <= MAX_OUTPUT_CHARS) {
            return text;
        }
        int half = MAX_OUTPUT_CHARS / 2;
        return text.substring(0, half) + "\n[... " + (text.length() - 2 * half) + " characters left out ...]\n"
                + text.substring(text.length() - half);
    }
}
