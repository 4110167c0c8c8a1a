/**
 * The gateway's ACL firewall: core's {@code AclPolicy} validated into a {@link
 * dev.portcullis.gateway.acl.FilterPolicy}, compiled into one nftables table the gateway owns, and
 * applied as a single atomic transaction that is default deny for everything entering from the
 * WireGuard interface.
 */
package dev.portcullis.gateway.acl;
