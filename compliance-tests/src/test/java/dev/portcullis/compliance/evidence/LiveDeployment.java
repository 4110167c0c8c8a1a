package dev.portcullis.compliance.evidence;

import java.nio.file.Path;
import java.util.Map;

/**
 * The shared quickstart deployment as the evidence suite sees it (resolved as a test parameter by
 * {@code dev.portcullis.compliance.EvidenceTargets}, which wraps the package-private
 * {@code EnrollmentDeployment}).
 */
public interface LiveDeployment {

    /** The pid of a quickstart process ("core", "edge-1", "gateway-1"). */
    long pid(String process) throws Exception;

    Path edgeState();

    int adminPort();

    int edgePublicPort();

    /** The control (gRPC, mTLS) ports of edge-1 and gateway-1, by component name. */
    Map<String, Integer> controlPorts();

    /** The deployment's own working directory (for scratch files of a check). */
    Path work();

    /** The checkout the artifacts under test were built from. */
    Path repositoryRoot();

    String portcullisVersion();

    /** The directory the build keeps evidence of one scenario in ({@code <module>/<build dir>/evidence/<scenario>}). */
    Path evidenceDirectory(String scenario) throws Exception;

    /** API.md: the one body every invalid, unknown, used or expired invite gets. */
    String neutralInvalidInviteBody();

    /** {@code bin/portcullis-admin ARGS}, whatever its exit code. */
    CommandResult admin(String... arguments) throws Exception;

    void addUser(String name, String email, String displayName) throws Exception;

    /** A fresh invite for the user; returns its token. */
    String inviteToken(String user) throws Exception;

    /** POST a JSON body to the edge-proxy's public HTTPS from a loopback source address (the edge's certificate pinned). */
    HttpAnswer edgePost(String sourceAddress, String path, Object body, String... headerPairs) throws Exception;

    /** The edge-proxy's public origin (https://localhost:PORT). */
    String origin();

    /** Files a document into core's audit chain by its SHA-256 ({@code POST /api/v1/audit/evidence}); returns the record's seq. */
    long fileEvidence(String name, String sha256, String summary) throws Exception;

    /** The details of the audit record with that seq, as the admin API exports it (JSON text). */
    String auditRecord(long seq) throws Exception;
}
