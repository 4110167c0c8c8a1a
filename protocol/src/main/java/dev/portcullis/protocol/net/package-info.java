/**
 * Value types of the wire contract: the strict, DNS-free parsing and one canonical text of the
 * strings that {@code portcullis.v1} messages carry, shared by core, edge proxies and gateways.
 */
package dev.portcullis.protocol.net;
