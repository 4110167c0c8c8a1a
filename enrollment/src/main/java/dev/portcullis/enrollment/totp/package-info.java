/**
 * Time-based one-time passwords (RFC 6238) as authenticator apps expect them: the shared secret,
 * the {@code otpauth://} enrollment URI and code verification that returns the matched time step,
 * so core can refuse a code that was already used.
 */
package dev.portcullis.enrollment.totp;
