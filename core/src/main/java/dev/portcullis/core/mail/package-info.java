/**
 * Mail core sends to users (password-reset links), through the {@link dev.portcullis.core.mail.MailSender}
 * seam; by default written as RFC 5322 files to an owner-only outbox directory for an MTA or an operator to pick up.
 */
package dev.portcullis.core.mail;
