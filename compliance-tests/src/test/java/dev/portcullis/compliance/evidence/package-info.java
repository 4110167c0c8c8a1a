/**
 * The compliance evidence suite: checks that each evidence named controls (SOC 2, ISO 27001:2022,
 * NIST 800-53) against a running deployment, each one proven able to fail, and the report an
 * auditor files (JSON, self-contained HTML and the JSON's SHA-256).
 */
package dev.portcullis.compliance.evidence;
