/**
 * Enrollment from a terminal: the ceremony of {@code enrollment/API.md} as named steps, over a TLS
 * connection that trusts only the invite link's pin. Secrets (token, session cookie, CSRF value,
 * password, codes) live only in the objects that need them and in request bodies to the pinned
 * proxy; the TOTP secret and recovery codes are shown once, to the user.
 */
package dev.portcullis.agent.enroll;
