/**
 * How a command ends: an exit code scripts can branch on and, for a failure, one message that is
 * safe to show (never a stack trace, token, password, code or key).
 */
package dev.portcullis.agent.outcome;
