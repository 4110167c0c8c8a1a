/**
 * Driving a WireGuard interface, shared by the gateway and the client agent: one seam
 * ({@link dev.portcullis.protocol.wireguard.WireGuardDevice}) with an implementation over the
 * standard cross-platform configuration protocol (UAPI) for userspace daemons and one over the
 * {@code wg} tool for the kernel module, strict parsers for what devices report, and interface
 * lifecycle (create, address, route, delete).
 */
package dev.portcullis.protocol.wireguard;
