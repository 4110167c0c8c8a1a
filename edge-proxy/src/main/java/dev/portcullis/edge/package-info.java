/**
 * The edge-proxy process: public HTTPS in the DMZ, a control link that only core may dial, and
 * the wiring between them. It forwards and enforces hygiene; core decides.
 */
package dev.portcullis.edge;
