package dev.portcullis.threatmodel.evidence;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks the threat model's markdown against the repository. The convention it enforces is
 * written down in {@code threat-model/README.md}:
 * <ul>
 *   <li>A mitigation is a row of a table whose header has a {@value #PROVEN_BY} column. That cell
 *       must hold at least one relative link to a {@code .java} file under a module's
 *       {@code src/test/java}, optionally with {@code #testMethod}.</li>
 *   <li>A table with a {@value #MITIGATION} column must also have a {@value #PROVEN_BY} column.</li>
 *   <li>Under a heading that starts with {@value #NOT_YET_PROVEN}, rows and bullets are residual
 *       risk: they need no link and are counted separately.</li>
 *   <li>Every relative link anywhere must resolve: a test link to a test class that declares the
 *       named test method and does not disable it; a link to a rendered diagram
 *       ({@code …/diagrams/NAME.svg} under a build directory) to an existing
 *       {@code diagrams/NAME.puml}; any other link to an existing file.</li>
 * </ul>
 */
public final class EvidenceChecker {

    static final String PROVEN_BY = "proven by";
    static final String MITIGATION = "mitigation";
    static final String NOT_YET_PROVEN = "Not yet proven";

    private static final Pattern HEADING = Pattern.compile("^(#{1,6})\\s+(.*)$");
    private static final Pattern BULLET = Pattern.compile("^\\s*(?:[-*+]|\\d+\\.)\\s+\\S.*");
    private static final Pattern TABLE_SEPARATOR = Pattern.compile("^\\|?\\s*:?-{3,}:?\\s*(\\|\\s*:?-{3,}:?\\s*)*\\|?\\s*$");
    private static final Pattern CELL_SPLIT = Pattern.compile("(?<!\\\\)\\|");
    /** A rendered diagram: {@code <module>/<any build dir>/diagrams/NAME.svg}. */
    private static final Pattern RENDERED_DIAGRAM = Pattern.compile("(.*)/[^/]+/diagrams/([^/]+)\\.svg");

    private final Path repoRoot;
    private final Map<Path, Optional<TestSource>> sources = new HashMap<>();

    public EvidenceChecker(Path repoRoot) {
        this.repoRoot = repoRoot.toAbsolutePath().normalize();
    }

    public EvidenceReport check(List<Path> markdownFiles) throws IOException {
        List<Problem> problems = new ArrayList<>();
        Set<String> testLinks = new LinkedHashSet<>();
        int mitigations = 0;
        int notYetProven = 0;
        for (Path file : markdownFiles) {
            FileResult r = checkFile(file.toAbsolutePath().normalize(), problems, testLinks);
            mitigations += r.mitigations;
            notYetProven += r.notYetProven;
        }
        return new EvidenceReport(problems, mitigations, testLinks.size(), notYetProven);
    }

    private record FileResult(int mitigations, int notYetProven) {
    }

    private FileResult checkFile(Path file, List<Problem> problems, Set<String> testLinks) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        int mitigations = 0;
        int notYetProven = 0;
        int residualLevel = 0;          // > 0 while inside a "Not yet proven" section of that level
        boolean inFence = false;
        List<String> header = null;     // the current table's header cells, lower case
        int provenBy = -1;

        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            int lineNo = i + 1;
            if (line.strip().startsWith("```")) {
                inFence = !inFence;
                continue;
            }
            if (inFence) {
                continue;
            }
            Matcher heading = HEADING.matcher(line);
            if (heading.matches()) {
                int level = heading.group(1).length();
                if (residualLevel > 0 && level <= residualLevel) {
                    residualLevel = 0;
                }
                if (heading.group(2).strip().regionMatches(true, 0, NOT_YET_PROVEN, 0, NOT_YET_PROVEN.length())) {
                    residualLevel = level;
                }
            }

            for (MarkdownLink link : MarkdownLink.in(line)) {
                if (link.isLocalFile()) {
                    checkLink(file, lineNo, link, problems, testLinks);
                }
            }

            boolean tableLine = line.strip().startsWith("|");
            if (!tableLine) {
                header = null;
                provenBy = -1;
                if (residualLevel > 0 && BULLET.matcher(line).matches()) {
                    notYetProven++;
                }
                continue;
            }
            if (TABLE_SEPARATOR.matcher(line.strip()).matches()) {
                continue;
            }
            List<String> cells = cells(line);
            if (header == null) {
                header = cells.stream().map(c -> c.toLowerCase(Locale.ROOT)).toList();
                provenBy = header.indexOf(PROVEN_BY);
                if (residualLevel == 0 && provenBy < 0 && header.contains(MITIGATION)) {
                    problems.add(new Problem(file, lineNo,
                            "a table with a '" + MITIGATION + "' column has no '" + PROVEN_BY + "' column"));
                }
                continue;
            }
            if (residualLevel > 0) {
                notYetProven++;
                continue;
            }
            if (provenBy < 0) {
                continue;
            }
            mitigations++;
            String cell = provenBy < cells.size() ? cells.get(provenBy) : "";
            boolean linksATest = MarkdownLink.in(cell).stream()
                    .anyMatch(l -> l.isLocalFile() && l.isJava() && isUnderSrcTest(resolve(file, l.path())));
            if (!linksATest) {
                problems.add(new Problem(file, lineNo, "mitigation without a link to a test: '"
                        + summary(cells.get(0)) + "'"));
            }
        }
        return new FileResult(mitigations, notYetProven);
    }

    private void checkLink(Path file, int lineNo, MarkdownLink link, List<Problem> problems, Set<String> testLinks)
            throws IOException {
        Path target = resolve(file, link.path());
        if (!target.startsWith(repoRoot)) {
            problems.add(new Problem(file, lineNo, "link leaves the repository: " + link.path()));
            return;
        }
        Matcher rendered = RENDERED_DIAGRAM.matcher(repoRoot.relativize(target).toString().replace('\\', '/'));
        if (rendered.matches()) {
            Path source = repoRoot.resolve(rendered.group(1)).resolve("diagrams").resolve(rendered.group(2) + ".puml");
            if (!Files.isRegularFile(source)) {
                problems.add(new Problem(file, lineNo, "rendered diagram " + link.path()
                        + " has no source " + repoRoot.relativize(source)));
            }
            return;
        }
        if (!Files.exists(target)) {
            problems.add(new Problem(file, lineNo, "broken link: " + link.path() + " does not exist"));
            return;
        }
        if (!link.isJava()) {
            return;
        }
        if (!isUnderSrcTest(target)) {
            problems.add(new Problem(file, lineNo, "linked Java file is not a test under src/test/java: " + link.path()));
            return;
        }
        Optional<TestSource> source = testSource(target);
        if (source.isEmpty()) {
            problems.add(new Problem(file, lineNo, "linked file has no JUnit test: " + link.path()));
            return;
        }
        if (source.get().classIsDisabled()) {
            problems.add(new Problem(file, lineNo, "linked test class is @Disabled: " + link.path()));
            return;
        }
        String method = link.fragment();
        if (!method.isEmpty()) {
            if (!TestSource.isIdentifier(method)) {
                problems.add(new Problem(file, lineNo, "'#" + method + "' is not a method name: " + link.path()));
                return;
            }
            Optional<String> annotations = source.get().annotationsOf(method);
            if (annotations.isEmpty()) {
                problems.add(new Problem(file, lineNo, "no test method '" + method + "' in " + link.path()));
                return;
            }
            if (annotations.get().contains("@Disabled")) {
                problems.add(new Problem(file, lineNo, "test method '" + method + "' is @Disabled in " + link.path()));
                return;
            }
        }
        testLinks.add(repoRoot.relativize(target) + (method.isEmpty() ? "" : "#" + method));
    }

    private Optional<TestSource> testSource(Path javaFile) throws IOException {
        Optional<TestSource> cached = sources.get(javaFile);
        if (cached == null) {
            TestSource source = new TestSource(Files.readString(javaFile, StandardCharsets.UTF_8));
            cached = source.hasAnyTest() ? Optional.of(source) : Optional.empty();
            sources.put(javaFile, cached);
        }
        return cached;
    }

    private boolean isUnderSrcTest(Path target) {
        return target.startsWith(repoRoot)
                && repoRoot.relativize(target).toString().replace('\\', '/').matches("(?:[^/]+/)+src/test/java/.+\\.java");
    }

    private static Path resolve(Path markdownFile, String linkPath) {
        return markdownFile.getParent().resolve(linkPath).normalize();
    }

    static List<String> cells(String row) {
        String s = row.strip();
        if (s.startsWith("|")) {
            s = s.substring(1);
        }
        if (s.endsWith("|") && !s.endsWith("\\|")) {
            s = s.substring(0, s.length() - 1);
        }
        List<String> cells = new ArrayList<>();
        for (String cell : CELL_SPLIT.split(s, -1)) {
            cells.add(cell.strip());
        }
        return cells;
    }

    private static String summary(String cell) {
        return cell.length() <= 80 ? cell : cell.substring(0, 77) + "...";
    }
}
