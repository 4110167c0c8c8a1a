/**
 * Forwarding public requests to core over the control stream core opened, and relaying its
 * answers. The proxy applies hygiene (allowlists, bounds, timeouts) and never decides.
 */
package dev.portcullis.edge.forward;
