/**
 * This device's own state on its own disk: the WireGuard private key and the device credential,
 * generated here and never sent anywhere, and the record of the enrollment (no secrets). The
 * directory is owner-only (0700) and every file in it is 0600.
 */
package dev.portcullis.agent.state;
