/**
 * The certificate of the public HTTPS side: the operator's, or a self-signed one kept in the
 * state directory; and the trust-anchor pin invite links carry for it.
 */
package dev.portcullis.edge.tls;
