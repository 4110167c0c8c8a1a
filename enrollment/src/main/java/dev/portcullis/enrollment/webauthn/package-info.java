/**
 * WebAuthn registration (at enrollment) and assertion (for tunnel MFA) as start/finish steps over
 * Yubico's relying-party library, with Portcullis's policy fixed in one place: user verification
 * required, attestation requested and kept, signature counters that go backwards refused.
 */
package dev.portcullis.enrollment.webauthn;
