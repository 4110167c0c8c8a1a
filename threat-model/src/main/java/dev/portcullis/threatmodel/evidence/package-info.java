/**
 * Checks the threat model's markdown: every mitigation names the test that proves it, as a relative
 * link to a test source that exists and, when a method is named, declares that test method.
 */
package dev.portcullis.threatmodel.evidence;
