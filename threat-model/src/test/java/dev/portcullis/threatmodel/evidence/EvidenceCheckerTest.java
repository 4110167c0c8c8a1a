package dev.portcullis.threatmodel.evidence;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The checker can fail: a fixture with every kind of bad evidence gets every one reported, at its line. */
class EvidenceCheckerTest {

    private static final Path FIXTURE_ROOT =
            Path.of(System.getProperty("threatmodel.module.dir"), "src/test/resources/evidence-fixture");

    private final EvidenceReport report = check();

    private static EvidenceReport check() {
        try {
            return new EvidenceChecker(FIXTURE_ROOT).check(List.of(FIXTURE_ROOT.resolve("threat-model/fixture.md")));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private List<String> problemsAt(int line) {
        return report.problems().stream().filter(p -> p.line() == line).map(Problem::message).toList();
    }

    @Test
    void aLinkToATestFileThatDoesNotExistIsReported() {
        assertThat(problemsAt(8)).singleElement().asString()
                .startsWith("broken link:").contains("GoneTest.java");
    }

    @Test
    void aMitigationWithoutATestLinkIsReported() {
        assertThat(problemsAt(10)).containsExactly(
                "mitigation without a link to a test: 'missing link'");
        assertThat(problemsAt(33)).containsExactly(
                "mitigation without a link to a test: 'after the residual section'");
    }

    @Test
    void aNamedMethodThatIsNotATestInTheFileIsReported() {
        assertThat(problemsAt(9)).containsExactly(
                "no test method 'noSuchMethod' in ../example/src/test/java/example/ExampleTest.java");
        assertThat(problemsAt(12)).containsExactly(
                "no test method 'aHelperThatIsNotATest' in ../example/src/test/java/example/ExampleTest.java");
    }

    @Test
    void productionCodeIsNotEvidence() {
        assertThat(problemsAt(11)).containsExactlyInAnyOrder(
                "linked Java file is not a test under src/test/java: ../example/src/main/java/example/Example.java",
                "mitigation without a link to a test: 'not a test'");
    }

    @Test
    void aSkippedTestIsNotEvidence() {
        assertThat(problemsAt(13)).containsExactly(
                "test method 'aSkippedTest' is @Disabled in ../example/src/test/java/example/ExampleTest.java");
    }

    @Test
    void aMitigationTableWithoutAProvenByColumnIsReported() {
        assertThat(problemsAt(15)).containsExactly(
                "a table with a 'mitigation' column has no 'proven by' column");
    }

    @Test
    void aRenderedDiagramWithoutItsSourceIsReported() {
        assertThat(problemsAt(19)).singleElement().asString()
                .contains("missing.svg").contains("example/diagrams/missing.puml");
    }

    @Test
    void notYetProvenItemsNeedNoLinkAndAreCountedAsResidualRisk() {
        assertThat(problemsAt(25)).isEmpty();
        assertThat(problemsAt(27)).isEmpty();
        assertThat(report.notYetProven()).isEqualTo(2);
    }

    @Test
    void theSoundRowPassesAndNothingElseIsReported() {
        assertThat(problemsAt(7)).isEmpty();
        assertThat(report.problems()).extracting(Problem::line)
                .containsExactlyInAnyOrder(8, 9, 10, 11, 11, 12, 13, 15, 19, 33);
        assertThat(report.mitigations()).isEqualTo(8);
        assertThat(report.testLinks()).isEqualTo(1);
    }

    @Test
    void cellsSplitOnUnescapedBarsOnly() {
        assertThat(EvidenceChecker.cells("| a | b \\| c | d |")).containsExactly("a", "b \\| c", "d");
    }
}
