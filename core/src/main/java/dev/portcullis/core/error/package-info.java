/**
 * Errors with two faces: a message safe to show and an internal cause for the log, mapped once to
 * HTTP at the admin API boundary ({@link dev.portcullis.core.error.ErrorResponses}).
 */
package dev.portcullis.core.error;
