/**
 * One-time invite links: an admin invites a user, core mints the token (shown once, in the link,
 * stored as its SHA-256), picks the edge-proxy the link points at and its {@code #ca=} pin, and
 * later claims the token exactly once, even when many present it at the same time.
 */
package dev.portcullis.core.invite;
