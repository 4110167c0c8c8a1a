package dev.portcullis.threatmodel.evidence;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** An inline markdown link {@code [text](target)}, split into path and fragment. */
record MarkdownLink(String text, String path, String fragment) {

    private static final Pattern INLINE = Pattern.compile("\\[([^\\]]*)\\]\\(([^)\\s]+)\\)");
    /** Text in backticks is code, not markup: a link written inside it is an example, not a link. */
    private static final Pattern CODE_SPAN = Pattern.compile("`[^`]*`");

    static List<MarkdownLink> in(String markdown) {
        List<MarkdownLink> links = new ArrayList<>();
        Matcher m = INLINE.matcher(CODE_SPAN.matcher(markdown).replaceAll(""));
        while (m.find()) {
            String target = m.group(2);
            int hash = target.indexOf('#');
            String path = hash < 0 ? target : target.substring(0, hash);
            String fragment = hash < 0 ? "" : target.substring(hash + 1);
            links.add(new MarkdownLink(m.group(1), path, fragment));
        }
        return links;
    }

    /** Links that leave the repository or stay on the same page are not evidence and are not checked. */
    boolean isLocalFile() {
        return !path.isEmpty() && !path.contains(":");
    }

    boolean isJava() {
        return path.endsWith(".java");
    }
}
