/**
 * What a device needs to start enrollment safely: the one-time invite link (origin, token and
 * the {@code #ca=} pin of the edge-proxy's trust anchor) and a TLS trust manager that trusts that
 * pin, and only that pin, for the host the link names.
 */
package dev.portcullis.pki.enroll;
