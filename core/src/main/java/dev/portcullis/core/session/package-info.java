/**
 * The life of MFA tunnel sessions after admission: listing and revoking them (users and admins),
 * and ending them when they expire, go idle, change endpoint or their location's policy changes.
 */
package dev.portcullis.core.session;
