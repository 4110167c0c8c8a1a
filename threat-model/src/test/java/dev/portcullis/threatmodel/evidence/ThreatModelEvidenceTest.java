package dev.portcullis.threatmodel.evidence;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import dev.portcullis.threatmodel.diagram.RenderDiagrams;

/**
 * The real threat model: every mitigation in {@code threat-model/*.md} links to a test that
 * exists now, and every diagram is shown in system.md.
 */
class ThreatModelEvidenceTest {

    private static final Path REPO = Path.of(System.getProperty("threatmodel.repo.root")).toAbsolutePath().normalize();
    private static final Path MODULE = Path.of(System.getProperty("threatmodel.module.dir")).toAbsolutePath().normalize();

    /** The pages that list mitigations; README.md is the index and lists none. */
    private static final List<String> PAGES_WITH_MITIGATIONS =
            List.of("system.md", "control-plane.md", "gateway-data-plane.md", "enrollment.md");

    private static List<Path> markdownFiles() throws IOException {
        try (Stream<Path> files = Files.list(MODULE)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".md")).sorted().toList();
        }
    }

    @Test
    void everyMitigationLinksToATestThatExistsAndEveryLinkResolves() throws IOException {
        EvidenceReport report = new EvidenceChecker(REPO).check(markdownFiles());

        System.out.printf("[threat-model] %d mitigations, %d distinct test links, %d not-yet-proven items%n",
                report.mitigations(), report.testLinks(), report.notYetProven());
        assertThat(report.problems())
                .as("threat model evidence problems:%n%s", String.join("\n",
                        report.problems().stream().map(Problem::toString).toList()))
                .isEmpty();
    }

    @Test
    void everyPageThatShouldListMitigationsDoesSoTheCheckIsNotVacuous() throws IOException {
        EvidenceChecker checker = new EvidenceChecker(REPO);
        for (String page : PAGES_WITH_MITIGATIONS) {
            EvidenceReport report = checker.check(List.of(MODULE.resolve(page)));
            assertThat(report.mitigations()).as("mitigation rows in %s", page).isPositive();
        }
    }

    @Test
    void systemMdHasANotYetProvenSection() throws IOException {
        EvidenceReport report = new EvidenceChecker(REPO).check(List.of(MODULE.resolve("system.md")));
        assertThat(report.notYetProven()).isPositive();
    }

    @Test
    void everyDiagramSourceIsShownAndLinkedFromSystemMd() throws IOException {
        String system = Files.readString(MODULE.resolve("system.md"), StandardCharsets.UTF_8);
        List<Path> sources = RenderDiagrams.sources(MODULE.resolve("diagrams"));
        assertThat(sources).isNotEmpty();
        for (Path source : sources) {
            String name = source.getFileName().toString();
            assertThat(system).as("system.md links the source %s", name).contains("(diagrams/" + name + ")");
            assertThat(system).as("system.md shows the rendered %s", name)
                    .contains("(target/diagrams/" + RenderDiagrams.svgName(name) + ")");
        }
    }

    @Test
    void theIndexListsEveryPage() throws IOException {
        String index = Files.readString(MODULE.resolve("README.md"), StandardCharsets.UTF_8);
        for (Path page : markdownFiles()) {
            String name = page.getFileName().toString();
            if (!name.equals("README.md")) {
                assertThat(index).as("README.md links %s", name).contains("(" + name + ")");
            }
        }
    }
}
