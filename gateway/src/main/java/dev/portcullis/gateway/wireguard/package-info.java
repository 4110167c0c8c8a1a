/**
 * The gateway's own WireGuard key file. Driving the interface itself is shared with the client
 * agent and lives in {@code dev.portcullis.protocol.wireguard}.
 */
package dev.portcullis.gateway.wireguard;
