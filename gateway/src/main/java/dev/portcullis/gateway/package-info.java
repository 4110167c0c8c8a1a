/**
 * The gateway process: a control link that only core may dial, the WireGuard data plane it drives
 * (interface, firewall, admitted peers), telemetry, and a local health endpoint.
 */
package dev.portcullis.gateway;
