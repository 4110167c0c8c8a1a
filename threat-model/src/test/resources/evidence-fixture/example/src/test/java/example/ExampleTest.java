package example;

import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

// Fixture for EvidenceCheckerTest: read as text by the checker, never compiled.
class ExampleTest {

    @Test
    void aRealTestProvesIt() {
    }

    @Disabled("fixture: a skipped test is no proof")
    @Test
    void aSkippedTest() {
    }

    void aHelperThatIsNotATest() {
    }
}
