package dev.portcullis.core.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.core.component.MutableClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutboxMailSenderTest {

    @TempDir
    Path home;

    @Test
    void eachMessageIsOneOwnerOnlyRfc5322FileWithCrlfLines() throws Exception {
        OutboxMailSender sender = new OutboxMailSender(home.resolve("outbox"), "portcullis@example.com", MutableClock.startingNow());

        sender.send(new Mail("alice@example.com", "Grüße", "line one\nline two"));
        sender.send(new Mail("bob@example.com", "Second", "body\n"));

        List<Path> files;
        try (Stream<Path> list = Files.list(home.resolve("outbox"))) {
            files = list.sorted().toList();
        }
        assertThat(files).hasSize(2).allSatisfy(file -> {
            assertThat(file.getFileName().toString()).matches("\\d{8}T\\d{6}\\.\\d{3}Z-\\d{6}-[0-9a-f]{16}\\.eml");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        });
        assertThat(read(files.get(0))).as("names sort in the order the messages were written").contains("To: alice@");
        String alice = read(files.get(0));
        assertThat(alice).startsWith("From: portcullis@example.com\r\nTo: alice@example.com\r\nSubject: =?UTF-8?B?")
                .endsWith("\r\n\r\nline one\r\nline two\r\n").contains("\r\nDate: ").contains("\r\nMIME-Version: 1.0\r\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve("outbox")))).isEqualTo("rwx------");
    }

    @Test
    void headersCannotBeInjected() {
        assertThatThrownBy(() -> new Mail("alice@example.com\r\nBcc: eve@example.com", "s", "b"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Mail("alice@example.com", "s\r\nBcc: eve@example.com", "b"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(new Mail("alice@example.com", "s", "https://x/reset/secret").toString()).doesNotContain("secret");
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
