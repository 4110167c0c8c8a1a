/**
 * The agent's one way to the edge-proxy: HTTPS trusting exactly the pinned anchor from the invite
 * link (TLS 1.3, no redirects, no HTTP proxy, bounded answers), with transport failures mapped
 * to exit codes and messages a user can act on.
 */
package dev.portcullis.agent.proxy;
