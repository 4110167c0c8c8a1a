/**
 * Who may use Portcullis: users (login, e-mail address, state), groups, and users' devices (their
 * WireGuard public keys and tunnel addresses). Disabling or deleting a user or device also ends its
 * tunnel sessions at every location.
 */
package dev.portcullis.core.identity;
