package dev.portcullis.compliance.evidence;

import java.nio.file.Path;

/**
 * The shared quickstart deployment as the evidence package's own tests see it (resolved as a test
 * parameter by {@code dev.portcullis.compliance.EvidenceTargets}, which wraps the package-private
 * {@code EnrollmentDeployment}): a real core to export and verify audit logs with.
 */
public interface LiveDeployment {

    /** The deployment's own working directory (for scratch files of a check). */
    Path work();

    /** {@code bin/portcullis-admin ARGS}, whatever its exit code. */
    CommandResult admin(String... arguments) throws Exception;
}
