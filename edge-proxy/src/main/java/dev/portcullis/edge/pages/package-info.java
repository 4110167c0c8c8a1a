/**
 * The enrollment and tunnel-MFA pages (HTML, their scripts and styles, the vendored QR library):
 * static files from the proxy's own jar, read once at start, the same bytes for everybody. No
 * user data.
 */
package dev.portcullis.edge.pages;
