package example;

// Fixture for EvidenceCheckerTest: production code, so never evidence.
final class Example {
}
