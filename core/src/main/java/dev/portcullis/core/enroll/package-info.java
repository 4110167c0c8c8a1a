/**
 * The public enrollment and password-reset ceremonies of {@code enrollment/API.md}: redeeming an
 * invite into a short enrollment session (cookie and CSRF value stored hashed), setting the
 * password, registering TOTP and WebAuthn, showing recovery codes once, registering devices and
 * completing; and resetting a forgotten password by mailed link plus the second factor. Requests
 * arrive from edge proxies over the streams core opened; core decides everything here.
 */
package dev.portcullis.core.enroll;
