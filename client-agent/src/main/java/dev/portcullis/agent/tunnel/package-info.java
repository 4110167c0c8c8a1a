/**
 * Tunnel sessions from this device (client-agent/SESSION-API.md): device-signed calls to core
 * through the pinned proxy, the MFA ceremony, the local WireGuard interface for a session, and the
 * keeper that takes the tunnel down at the session's end.
 */
package dev.portcullis.agent.tunnel;
