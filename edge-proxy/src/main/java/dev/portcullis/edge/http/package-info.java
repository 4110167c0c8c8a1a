/**
 * The public HTTPS side of the edge-proxy: health, forwarding to core, rate limiting, security
 * headers and neutral errors. This is the only code that speaks HTTP to the internet.
 */
package dev.portcullis.edge.http;
