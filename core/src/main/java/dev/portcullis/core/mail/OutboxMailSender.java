package dev.portcullis.core.mail;

import dev.portcullis.core.secretfile.OwnerOnlyFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes each message as one RFC 5322 file ({@code <UTC time>-<sequence>-<random>.eml}, so names sort in the
 * order the messages were written; CRLF line endings,
 * UTF-8 body) into an owner-only outbox directory. The files carry one-time links, so they are
 * created owner-only (0600) from the first byte. An MTA, a cron job or an operator delivers them.
 * The log says a message was written and to whom, never its body.
 */
public final class OutboxMailSender implements MailSender {

    private static final Logger LOG = LoggerFactory.getLogger(OutboxMailSender.class);
    private static final DateTimeFormatter FILE_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'")
            .withZone(ZoneOffset.UTC);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String CRLF = "\r\n";

    private final Path outbox;
    private final String from;
    private final Clock clock;
    /** Orders the files of one run by name even when several messages are written in the same millisecond. */
    private final java.util.concurrent.atomic.AtomicLong sequence = new java.util.concurrent.atomic.AtomicLong();

    /**
     * @param outbox directory for the message files (created owner-only if missing)
     * @param from   the From address
     */
    public OutboxMailSender(Path outbox, String from, Clock clock) {
        if (from == null || from.chars().anyMatch(c -> c < 0x20 || c > 0x7e) || !from.contains("@")) {
            throw new IllegalArgumentException("the mail From address must be a printable address such as portcullis@example.com");
        }
        this.outbox = OwnerOnlyFile.directory(outbox.toAbsolutePath().normalize());
        this.from = from;
        this.clock = clock;
    }

    public Path outbox() {
        return outbox;
    }

    @Override
    public void send(Mail mail) {
        Instant now = clock.instant();
        String id = HexFormat.of().formatHex(randomBytes(8));
        Path file = outbox.resolve(FILE_TIME.format(now) + "-" + String.format("%06d", sequence.incrementAndGet() % 1_000_000)
                + "-" + id + ".eml");
        String domain = from.substring(from.indexOf('@') + 1);
        String message = "From: " + from + CRLF
                + "To: " + mail.to() + CRLF
                + "Subject: " + encodedSubject(mail.subject()) + CRLF
                + "Date: " + DateTimeFormatter.RFC_1123_DATE_TIME.format(now.atOffset(ZoneOffset.UTC)) + CRLF
                + "Message-ID: <" + id + "." + now.toEpochMilli() + "@" + domain + ">" + CRLF
                + "MIME-Version: 1.0" + CRLF
                + "Content-Type: text/plain; charset=utf-8" + CRLF
                + "Content-Transfer-Encoding: 8bit" + CRLF
                + "Auto-Submitted: auto-generated" + CRLF
                + CRLF
                + mail.body().replace("\r\n", "\n").replace("\n", CRLF)
                + (mail.body().endsWith("\n") ? "" : CRLF);
        try {
            Files.write(Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))),
                    message.getBytes(StandardCharsets.UTF_8), StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new MailException("cannot write a message to the outbox " + outbox + " (" + e.getClass().getSimpleName() + ")", e);
        }
        LOG.info("mail to {} ({}) written to the outbox as {}", mail.to(), mail.subject(), file.getFileName());
    }

    /** Non-ASCII subjects as an RFC 2047 encoded word; ASCII as it is. */
    private static String encodedSubject(String subject) {
        if (subject.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
            return subject;
        }
        return "=?UTF-8?B?" + java.util.Base64.getEncoder().encodeToString(subject.getBytes(StandardCharsets.UTF_8)) + "?=";
    }

    private static byte[] randomBytes(int count) {
        byte[] bytes = new byte[count];
        RANDOM.nextBytes(bytes);
        return bytes;
    }
}
