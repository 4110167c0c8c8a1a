/**
 * The public HTTPS side of the edge-proxy: health, the enrollment and MFA pages, forwarding to
 * core, rate limiting, request deadlines, security headers, the (redacting) access log and
 * neutral errors. This is the only code that speaks HTTP to the internet.
 */
package dev.portcullis.edge.http;
