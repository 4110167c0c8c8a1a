/** The certificate of the public HTTPS side: the operator's, or an ephemeral in-memory one. */
package dev.portcullis.edge.tls;
