/**
 * Tunnel-level MFA, as devices and the browser hand-off page call it ({@code /api/v1/tunnel/*},
 * {@code client-agent/SESSION-API.md}): device request signatures, MFA attempts with their
 * attempt limits, TOTP and WebAuthn verification, and the admission of the device on every gateway
 * of the location before its session's preshared key is handed out.
 */
package dev.portcullis.core.tunnel;
