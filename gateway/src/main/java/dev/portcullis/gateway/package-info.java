/**
 * The gateway process: a control link that only core may dial, configuration held in memory and
 * a local health endpoint. WireGuard and the relay arrive in later issues.
 */
package dev.portcullis.gateway;
