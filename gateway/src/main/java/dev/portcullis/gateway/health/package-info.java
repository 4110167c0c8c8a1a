/** The gateway's local health endpoint: link state, configuration version and location, read-only. */
package dev.portcullis.gateway.health;
