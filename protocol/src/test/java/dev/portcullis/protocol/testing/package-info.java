/**
 * Test peers that the component modules reuse through this module's test-jar: {@link
 * dev.portcullis.protocol.testing.TestCore}, core's end of the control link as an edge proxy or a
 * gateway sees it.
 */
package dev.portcullis.protocol.testing;
