package dev.portcullis.threatmodel.evidence;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A JUnit 5 test source, read just far enough to say whether it declares a given test method and
 * whether that test would be skipped. Not a Java parser: it looks for a test annotation followed,
 * through other annotations, modifiers and comments only, by the method's declaration.
 */
final class TestSource {

    /** Annotation arguments: parentheses one level deep, string literals skipped whole. */
    private static final String ARGUMENTS = "(?:\\s*\\((?:[^()\"]|\"(?:[^\"\\\\]|\\\\.)*\"|\\([^()]*\\))*\\))?";
    private static final String TEST_ANNOTATION =
            "@(?:Test|ParameterizedTest|RepeatedTest|TestFactory|TestTemplate)\\b" + ARGUMENTS;
    /** What may stand between a test annotation and the return type: annotations, modifiers, comments. */
    private static final String ANNOTATIONS = "(?:\\s|@[\\w.]+" + ARGUMENTS + "|//[^\\n]*\\n|/\\*(?s:.*?)\\*/"
            + "|(?:public|protected|private|static|final|abstract|synchronized)\\b)*";
    private static final String RETURN_TYPE = "[\\w.$]+(?:\\s*<[\\w<>\\[\\],.?\\s]*>)?(?:\\[\\])*";
    private static final Pattern ANY_TEST = Pattern.compile(TEST_ANNOTATION);
    private static final Pattern CLASS_DECLARATION = Pattern.compile("\\b(?:class|record)\\s+\\w+");
    private static final Pattern JAVA_IDENTIFIER = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*");

    private final String text;

    TestSource(String text) {
        this.text = text;
    }

    boolean hasAnyTest() {
        return ANY_TEST.matcher(text).find();
    }

    boolean classIsDisabled() {
        Matcher m = CLASS_DECLARATION.matcher(text);
        return m.find() && text.substring(0, m.start()).contains("@Disabled");
    }

    static boolean isIdentifier(String s) {
        return JAVA_IDENTIFIER.matcher(s).matches();
    }

    /**
     * Everything written before test method {@code name} since the previous member ended (its
     * annotations and modifiers), or empty when no such test method is declared.
     */
    Optional<String> annotationsOf(String name) {
        Pattern declaration = Pattern.compile(TEST_ANNOTATION + ANNOTATIONS
                + RETURN_TYPE + "\\s+" + Pattern.quote(name) + "\\s*\\(");
        Matcher m = declaration.matcher(text);
        if (!m.find()) {
            return Optional.empty();
        }
        int start = Math.max(Math.max(text.lastIndexOf(';', m.start()), text.lastIndexOf('}', m.start())),
                text.lastIndexOf('{', m.start()));
        return Optional.of(text.substring(start + 1, m.end()));
    }
}
