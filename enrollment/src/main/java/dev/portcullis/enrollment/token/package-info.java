/**
 * The 256-bit bearer secrets of enrollment (invite links, password-reset links, session cookies and
 * CSRF values): minted here, shown once, stored by core only as their SHA-256.
 */
package dev.portcullis.enrollment.token;
