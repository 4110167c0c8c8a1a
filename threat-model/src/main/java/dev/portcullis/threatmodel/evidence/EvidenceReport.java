package dev.portcullis.threatmodel.evidence;

import java.util.List;

/**
 * What the checker found.
 *
 * @param problems       everything that must be fixed; empty when the threat model is sound
 * @param mitigations    mitigation rows checked (rows of a table with a {@code proven by} column)
 * @param testLinks      distinct links to tests that resolved
 * @param notYetProven   rows and bullets under a "Not yet proven" heading (residual risk, not mitigations)
 */
public record EvidenceReport(List<Problem> problems, int mitigations, int testLinks, int notYetProven) {

    public EvidenceReport {
        problems = List.copyOf(problems);
    }
}
