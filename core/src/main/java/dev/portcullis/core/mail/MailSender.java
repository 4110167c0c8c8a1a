package dev.portcullis.core.mail;

/**
 * Where core's mail goes: the seam between deciding to send a message and delivering it.
 * {@link OutboxMailSender} by default; an SMTP sender can replace it without touching callers.
 * Implementations never log a message body (it may carry a one-time link).
 */
public interface MailSender {

    /**
     * Hands the message over for delivery; returns once it is stored or sent.
     *
     * @throws MailException if it could not be handed over (the message says why, without the body)
     */
    void send(Mail mail);

    /** Delivery failed; the message never contains the body. */
    final class MailException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public MailException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
