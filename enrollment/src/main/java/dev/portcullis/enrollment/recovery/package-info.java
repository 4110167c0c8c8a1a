/**
 * One-time recovery codes: shown once at enrollment, stored by core only as SHA-256, each good for
 * one sign-in (or one password reset) when the second factor is lost.
 */
package dev.portcullis.enrollment.recovery;
