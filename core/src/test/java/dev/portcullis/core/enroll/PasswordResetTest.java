package dev.portcullis.core.enroll;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.portcullis.enrollment.token.ResetToken;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Password reset of enrollment/API.md: mailed single-use link, then the new password with the second factor. */
class PasswordResetTest {

    private static final String RESET_COOKIE = "__Host-portcullis-reset";
    private static final String ACCEPTED = "{\"status\":\"If that address belongs to an account, a reset link is on its way.\"}";
    private static final String INVALID = "{\"error\":\"This link is not valid any more. Request a new password reset.\"}";
    private static final Pattern LINK = Pattern.compile("https://access\\.example\\.com/reset/([A-Za-z0-9_-]{43})");
    private static final String NEW_PASSWORD = "purple monkey dishwasher lamp";

    private final EnrollmentFixture fixture = new EnrollmentFixture();

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    /** What an enrolled user keeps: the TOTP secret and the recovery codes. */
    private record Enrolled(String totpSecret, List<String> recoveryCodes) {
    }

    private Enrolled enrolled(String name) {
        fixture.user(name);
        PublicClient browser = fixture.redeemed(name);
        assertThat(browser.post("/api/v1/enroll/password", "{\"password\":\"correct horse battery staple\"}").status()).isEqualTo(204);
        String secret = browser.post("/api/v1/enroll/totp/start", "{}").json().path("secret").asText();
        assertThat(browser.post("/api/v1/enroll/totp/confirm",
                "{\"code\":\"" + TotpCodes.at(secret, fixture.clock.instant()) + "\"}").status()).isEqualTo(204);
        List<String> codes = new ArrayList<>();
        browser.post("/api/v1/enroll/recovery-codes", "{}").json().path("codes").forEach(c -> codes.add(c.asText()));
        assertThat(browser.post("/api/v1/enroll/complete", "{}").status()).isEqualTo(200);
        return new Enrolled(secret, codes);
    }

    private List<Path> mails() {
        if (!Files.isDirectory(fixture.outbox)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(fixture.outbox)) {
            return files.filter(f -> f.toString().endsWith(".eml")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits (bounded) until the outbox holds {@code count} messages; returns the newest one's text. */
    private String awaitMail(int count) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (mails().size() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no reset mail arrived in the outbox within 20 s (have " + mails().size() + ")");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted");
            }
        }
        return read(mails().get(mails().size() - 1));
    }

    private static String read(Path mail) {
        try {
            return Files.readString(mail, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String resetToken(String email, int mailNumber) {
        assertThat(fixture.browser().post("/api/v1/recovery/request", "{\"email\":\"" + email + "\"}").body()).isEqualTo(ACCEPTED);
        awaitMail(mailNumber);
        Matcher link = LINK.matcher(read(mails().get(mailNumber - 1)));
        assertThat(link.find()).isTrue();
        return link.group(1);
    }

    private PublicClient redeemedReset(String token) {
        PublicClient browser = fixture.browser();
        PublicClient.Answer answer = browser.post("/api/v1/recovery/redeem", "{\"token\":\"" + token + "\"}");
        assertThat(answer.status()).as(answer.body()).isEqualTo(200);
        return browser;
    }

    private long count(String sql) {
        return fixture.database.inTransaction(c -> {
            try (ResultSet rs = c.createStatement().executeQuery(sql)) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    @Test
    void aResetRequestAlwaysAnswers202WithTheSameBytesAndMailsOnlyActiveAccounts() {
        enrolled("alice");
        fixture.user("invited");
        List<PublicClient.Answer> answers = new ArrayList<>();
        for (String email : List.of("nobody@example.com", "not an address", "invited@example.com", "ALICE@example.com")) {
            answers.add(fixture.browser("198.51.100." + answers.size()).post("/api/v1/recovery/request",
                    "{\"email\":\"" + email + "\"}"));
        }

        String mail = awaitMail(1);

        assertThat(answers).allSatisfy(answer -> {
            assertThat(answer.status()).isEqualTo(202);
            assertThat(answer.body()).isEqualTo(ACCEPTED);
            assertThat(answer.headers()).isEqualTo(answers.get(0).headers());
        });
        assertThat(mails()).as("the requests before alice's were handled first, and sent nothing").hasSize(1);
        assertThat(mail).contains("To: alice@example.com\r\n");
    }

    @Test
    void theMailIsAnOwnerOnlyRfc5322FileAndTheLogSaysSoWithoutTheLink() throws Exception {
        enrolled("alice");
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        logs.start();
        root.addAppender(logs);
        try {
            String token = resetToken("alice@example.com", 1);
            Path file = mails().get(0);
            String message = Files.readString(file, StandardCharsets.UTF_8);

            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(fixture.outbox))).isEqualTo("rwx------");
            assertThat(message).startsWith("From: portcullis@example.com\r\nTo: alice@example.com\r\n"
                    + "Subject: Reset your Portcullis password\r\nDate: ")
                    .contains("\r\nMessage-ID: <").contains("\r\nContent-Type: text/plain; charset=utf-8\r\n")
                    .contains("\r\n\r\nHello Alice Example,\r\n")
                    .contains("\r\nhttps://access.example.com/reset/" + token + "\r\n");
            assertThat(message.replace("\r\n", "")).doesNotContain("\n");
            assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage)
                    .anyMatch(line -> line.startsWith("mail to alice@example.com (Reset your Portcullis password) written to the outbox"))
                    .anyMatch(line -> line.startsWith("action=password.reset.requested outcome=success"))
                    .noneMatch(line -> line.contains(token));
        } finally {
            root.detachAppender(logs);
        }
    }

    @Test
    void theSameTotpCodeThatWasAlreadyUsedIsRefusedAsAReplay() {
        Enrolled alice = enrolled("alice");
        String usedCode = TotpCodes.at(alice.totpSecret(), fixture.clock.instant());
        PublicClient browser = redeemedReset(resetToken("alice@example.com", 1));

        PublicClient.Answer replay = browser.post("/api/v1/recovery/password",
                "{\"password\":\"" + NEW_PASSWORD + "\",\"secondFactor\":\"" + usedCode + "\"}");
        fixture.clock.advance(Duration.ofSeconds(30));
        String freshCode = TotpCodes.at(alice.totpSecret(), fixture.clock.instant());
        PublicClient.Answer fresh = browser.post("/api/v1/recovery/password",
                "{\"password\":\"" + NEW_PASSWORD + "\",\"secondFactor\":\"" + freshCode + "\"}");

        assertThat(replay.status()).isEqualTo(400);
        assertThat(replay.error()).startsWith("That code did not match.");
        assertThat(fresh.status()).as(fresh.body()).isEqualTo(204);
        assertThat(fresh.headers().get("set-cookie")).containsExactly(
                RESET_COOKIE + "=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
        assertThat(count("SELECT count(*) FROM enrollment_sessions WHERE kind = 'RESET' AND ended_at IS NULL")).isZero();
        PublicClient again = redeemedReset(resetToken("alice@example.com", 2));
        assertThat(again.post("/api/v1/recovery/password",
                "{\"password\":\"" + NEW_PASSWORD + "\",\"secondFactor\":\"" + freshCode + "\"}").status())
                .as("a code is single-use across resets too").isEqualTo(400);
    }

    @Test
    void aRecoveryCodeResetsThePasswordOnceAndIsThenSpent() {
        Enrolled alice = enrolled("alice");
        String hashBefore = passwordHash();
        String code = alice.recoveryCodes().get(3);

        PublicClient first = redeemedReset(resetToken("alice@example.com", 1));
        assertThat(first.post("/api/v1/recovery/password", "{\"password\":\"" + NEW_PASSWORD + "\",\"secondFactor\":\""
                + code.toUpperCase() + "\"}").status()).isEqualTo(204);
        PublicClient second = redeemedReset(resetToken("alice@example.com", 2));
        PublicClient.Answer spent = second.post("/api/v1/recovery/password",
                "{\"password\":\"" + NEW_PASSWORD + "\",\"secondFactor\":\"" + code + "\"}");

        assertThat(passwordHash()).isNotEqualTo(hashBefore).startsWith("$argon2id$");
        assertThat(spent.status()).isEqualTo(400);
        assertThat(count("SELECT count(*) FROM recovery_codes WHERE used_at IS NOT NULL")).isEqualTo(1);
    }

    @Test
    void theSecondFactorIsRequiredAndARejectedPasswordSpendsNoCode() {
        Enrolled alice = enrolled("alice");
        PublicClient browser = redeemedReset(resetToken("alice@example.com", 1));

        PublicClient.Answer missing = browser.post("/api/v1/recovery/password", "{\"password\":\"" + NEW_PASSWORD + "\"}");
        PublicClient.Answer weak = browser.post("/api/v1/recovery/password",
                "{\"password\":\"short\",\"secondFactor\":\"" + alice.recoveryCodes().get(0) + "\"}");
        PublicClient.Answer withoutCsrf = browser.postWithoutCsrf("/api/v1/recovery/password",
                "{\"password\":\"" + NEW_PASSWORD + "\",\"secondFactor\":\"" + alice.recoveryCodes().get(0) + "\"}");

        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.error()).isEqualTo("Enter a code from your authenticator app or one of your recovery codes.");
        assertThat(weak.status()).isEqualTo(400);
        assertThat(withoutCsrf.status()).isEqualTo(403);
        assertThat(count("SELECT count(*) FROM recovery_codes WHERE used_at IS NULL")).isEqualTo(10);
    }

    @Test
    void resetLinksAreSingleUseAndEveryRefusalLooksTheSame() {
        enrolled("alice");
        String token = resetToken("alice@example.com", 1);
        PublicClient browser = fixture.browser();
        PublicClient.Answer redeemed = browser.post("/api/v1/recovery/redeem", "{\"token\":\"" + token + "\"}");
        String expiring = resetToken("alice@example.com", 2);
        List<PublicClient.Answer> refused = new ArrayList<>();
        refused.add(fixture.browser().post("/api/v1/recovery/redeem", "{\"token\":\"" + token + "\"}"));
        refused.add(fixture.browser().post("/api/v1/recovery/redeem", "{\"token\":\"" + ResetToken.mint().reveal() + "\"}"));
        refused.add(fixture.browser().post("/api/v1/recovery/redeem", "{\"token\":\"garbage\"}"));
        fixture.clock.advance(Duration.ofMinutes(61));
        refused.add(fixture.browser().post("/api/v1/recovery/redeem", "{\"token\":\"" + expiring + "\"}"));

        assertThat(redeemed.status()).isEqualTo(200);
        String cookie = browser.cookies().get(RESET_COOKIE);
        assertThat(redeemed.headers().get("set-cookie")).containsExactly(
                RESET_COOKIE + "=" + cookie + "; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=900");
        assertThat(redeemed.json().path("csrf").asText()).hasSize(43);
        assertThat(redeemed.json().path("passwordRules").asText()).isNotBlank();
        assertThat(refused).allSatisfy(answer -> {
            assertThat(answer.status()).isEqualTo(404);
            assertThat(answer.body()).isEqualTo(INVALID);
        });
        assertThat(browser.post("/api/v1/recovery/password", "{\"password\":\"" + NEW_PASSWORD + "\",\"secondFactor\":\"x\"}")
                .status()).as("the reset session lasted 15 minutes").isEqualTo(401);
    }

    @Test
    void resetRequestsAreLimitedPerClientAddress() {
        for (int i = 0; i < 5; i++) {
            assertThat(fixture.browser("192.0.2.1").post("/api/v1/recovery/request", "{\"email\":\"x" + i + "@example.com\"}")
                    .status()).isEqualTo(202);
        }

        PublicClient.Answer limited = fixture.browser("192.0.2.1").post("/api/v1/recovery/request",
                "{\"email\":\"x@example.com\"}");

        assertThat(limited.status()).isEqualTo(429);
        assertThat(Long.parseLong(limited.header("retry-after").orElseThrow())).isBetween(1L, 3600L);
        assertThat(fixture.browser("192.0.2.2").post("/api/v1/recovery/request", "{\"email\":\"x@example.com\"}").status())
                .isEqualTo(202);
    }

    private String passwordHash() {
        return fixture.database.inTransaction(c -> {
            try (ResultSet rs = c.createStatement().executeQuery("SELECT password_hash FROM users WHERE name = 'alice'")) {
                rs.next();
                return rs.getString(1);
            }
        });
    }
}
