/**
 * The gateway's WireGuard device: one seam ({@link dev.portcullis.gateway.wireguard.WireGuardDevice})
 * with a UAPI implementation for userspace daemons and a {@code wg} implementation for the kernel
 * module, strict parsers for what devices report, interface lifecycle and the gateway's own key file.
 */
package dev.portcullis.gateway.wireguard;
