package dev.portcullis.core.mail;

import java.util.Objects;

/**
 * One plain-text message to one recipient. The body may carry a secret (a reset link), so
 * {@code toString} shows only the recipient and subject.
 *
 * @param to      the recipient's address (validated by core; never contains CR or LF)
 * @param subject one line
 * @param body    plain text, lines separated by "\n"
 */
public record Mail(String to, String subject, String body) {

    public Mail {
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(body, "body");
        if (to.chars().anyMatch(c -> c < 0x21 || c > 0x7e) || subject.chars().anyMatch(c -> c == '\r' || c == '\n')) {
            throw new IllegalArgumentException("mail recipient and subject must be single printable lines");
        }
    }

    @Override
    public String toString() {
        return "Mail[to=" + to + ", subject=" + subject + ", body=<redacted>]";
    }
}
