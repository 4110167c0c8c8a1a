package dev.portcullis.core.enroll;

import static dev.portcullis.core.store.Database.instant;
import static dev.portcullis.core.store.Database.timestamp;

import dev.portcullis.core.audit.Actor;
import dev.portcullis.core.audit.SecurityAction;
import dev.portcullis.core.audit.SecurityEvent;
import dev.portcullis.core.audit.SecurityEvents;
import dev.portcullis.core.enroll.EnrollmentSessions.Opened;
import dev.portcullis.core.enroll.EnrollmentSessions.Session;
import dev.portcullis.core.error.BadRequestException;
import dev.portcullis.core.error.ConflictException;
import dev.portcullis.core.error.ForbiddenException;
import dev.portcullis.core.identity.IdentityNames;
import dev.portcullis.core.mail.Mail;
import dev.portcullis.core.mail.MailSender;
import dev.portcullis.core.ratelimit.RateLimiter;
import dev.portcullis.core.store.Database;
import dev.portcullis.enrollment.password.PasswordHasher;
import dev.portcullis.enrollment.password.PasswordRules;
import dev.portcullis.enrollment.token.ResetToken;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resetting a forgotten password: request a link by e-mail address (the answer never says whether
 * an account has it, and the lookup happens off the request thread so timing does not say either),
 * redeem the mailed link into a short reset session, then set a new password with the account's
 * second factor: a TOTP code (single-use, like every TOTP code) or an unused recovery code, which is
 * then spent. A mailbox alone does not take over an account.
 */
public final class PasswordReset {

    private static final Logger LOG = LoggerFactory.getLogger(PasswordReset.class);
    /** An hour: time to switch to the mail client and back; a link lying in a mailbox longer is a standing credential. */
    public static final Duration TOKEN_LIFETIME = Duration.ofHours(1);
    /**
     * Reset mails per account per hour: enough for a user whose first mail was slow to arrive, too
     * few to flood a mailbox from someone else's keyboard.
     */
    static final int MAILS_PER_ADDRESS_PER_HOUR = 3;
    /** Path of reset links on the edge-proxy ({@code enrollment/API.md}). */
    static final String LINK_PATH = "/reset/";

    private final Database database;
    private final Clock clock;
    private final SecondFactors factors;
    private final SecurityEvents events;
    private final MailSender mail;
    private final Executor mailWork;
    private final RateLimiter mailsPerAddress;

    /** @param mailWork runs the account lookup and the mail, off the request thread (bounded in production) */
    PasswordReset(Database database, Clock clock, SecondFactors factors, SecurityEvents events, MailSender mail,
                  Executor mailWork) {
        this.database = database;
        this.clock = clock;
        this.factors = factors;
        this.events = events;
        this.mail = mail;
        this.mailWork = mailWork;
        this.mailsPerAddress = new RateLimiter("reset mails per address", MAILS_PER_ADDRESS_PER_HOUR, Duration.ofHours(1), clock);
    }

    // ---- step 1: request a link -------------------------------------------------------------------------

    /**
     * Queues the lookup and, if an active account has the address, a mail with a reset link to
     * {@code publicOrigin}. Returns at once and the same way whatever the address; never throws for input.
     */
    void request(String email, String publicOrigin, String sourceAddress) {
        Optional<String> address = IdentityNames.normalizedEmail(email);
        try {
            mailWork.execute(() -> {
                try {
                    deliver(address, publicOrigin, sourceAddress);
                } catch (RuntimeException e) {
                    LOG.error("a password reset request could not be handled", e);
                }
            });
        } catch (RejectedExecutionException e) {
            LOG.warn("password reset request dropped: too many are waiting to be handled");
        }
    }

    /** The work behind a request: find the account, mint and store the token, send the mail. */
    void deliver(Optional<String> email, String publicOrigin, String sourceAddress) {
        Instant now = clock.instant();
        Actor actor = Actor.anonymous(sourceAddress);
        Optional<Mail> message = database.inTransaction(connection -> {
            Optional<Account> account = email.isEmpty() ? Optional.<Account>empty() : activeAccount(connection, email.get());
            if (account.isEmpty()) {
                events.record(connection, SecurityEvent.refused(SecurityAction.PASSWORD_RESET_REQUESTED, actor, "-",
                        "no active account has that address"));
                return Optional.<Mail>empty();
            }
            Account user = account.get();
            if (mailsPerAddress.tryAcquire(user.email()).isPresent()) {
                events.record(connection, SecurityEvent.refused(SecurityAction.PASSWORD_RESET_REQUESTED, actor,
                        SecurityEvent.user(user.name()), "too many reset mails for this account this hour"));
                return Optional.<Mail>empty();
            }
            ResetToken token = ResetToken.mint();
            try (PreparedStatement supersede = connection.prepareStatement(
                    "UPDATE reset_tokens SET superseded_at = ? WHERE user_id = ? AND used_at IS NULL AND superseded_at IS NULL");
                 PreparedStatement insert = connection.prepareStatement(
                         "INSERT INTO reset_tokens (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)")) {
                supersede.setObject(1, timestamp(now));
                supersede.setObject(2, user.id());
                supersede.executeUpdate();
                insert.setBytes(1, token.sha256());
                insert.setObject(2, user.id());
                insert.setObject(3, timestamp(now));
                insert.setObject(4, timestamp(now.plus(TOKEN_LIFETIME)));
                insert.executeUpdate();
            }
            events.record(connection, SecurityEvent.success(SecurityAction.PASSWORD_RESET_REQUESTED, actor,
                    SecurityEvent.user(user.name())).with("expires_at", now.plus(TOKEN_LIFETIME)));
            return Optional.of(new Mail(user.email(), "Reset your Portcullis password",
                    body(user, publicOrigin + LINK_PATH + token.reveal())));
        });
        message.ifPresent(m -> {
            try {
                mail.send(m);
            } catch (MailSender.MailException e) {
                LOG.error("the password reset mail could not be handed over: {}", e.getMessage());
            }
        });
    }

    private record Account(UUID id, String name, String email, String displayName) {
    }

    private static Optional<Account> activeAccount(Connection connection, String email) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT id, name, email, display_name FROM users WHERE email = ? AND state = 'ACTIVE'")) {
            select.setString(1, email);
            try (ResultSet rs = select.executeQuery()) {
                return rs.next() ? Optional.of(new Account(rs.getObject("id", UUID.class), rs.getString("name"),
                        rs.getString("email"), rs.getString("display_name"))) : Optional.empty();
            }
        }
    }

    private static String body(Account user, String link) {
        return "Hello " + user.displayName() + ",\n\n"
                + "someone (hopefully you) asked to reset the Portcullis password of the account \"" + user.name() + "\".\n"
                + "Open this link within " + TOKEN_LIFETIME.toMinutes() + " minutes to choose a new password:\n\n"
                + link + "\n\n"
                + "You will also need a code from your authenticator app or one of your recovery codes.\n"
                + "If you did not ask for this, ignore this message: your password stays as it is.\n";
    }

    // ---- step 2: redeem the link ------------------------------------------------------------------------

    /** Claims the reset token (single use) and opens a reset session; empty for every kind of refusal. */
    Optional<Opened> redeem(ResetToken token, String sourceAddress) {
        return database.inTransaction(connection -> {
            Instant now = clock.instant();
            Optional<UUID> userId;
            try (PreparedStatement claim = connection.prepareStatement(
                    "UPDATE reset_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND superseded_at IS NULL "
                            + "AND expires_at > ? AND EXISTS (SELECT 1 FROM users u WHERE u.id = reset_tokens.user_id "
                            + "AND u.state = 'ACTIVE') RETURNING user_id")) {
                claim.setObject(1, timestamp(now));
                claim.setBytes(2, token.sha256());
                claim.setObject(3, timestamp(now));
                try (ResultSet rs = claim.executeQuery()) {
                    userId = rs.next() ? Optional.of(rs.getObject(1, UUID.class)) : Optional.empty();
                }
            }
            if (userId.isEmpty()) {
                events.record(connection, SecurityEvent.refused(SecurityAction.PASSWORD_RESET_REFUSED,
                        Actor.anonymous(sourceAddress), userOfToken(connection, token).map(SecurityEvent::user).orElse("-"),
                        whyRefused(connection, token, now)));
                return Optional.<Opened>empty();
            }
            Opened opened = EnrollmentSessions.open(connection, SessionKind.RESET, userId.get(), now);
            String name = userOfToken(connection, token).orElse("-");
            events.record(connection, SecurityEvent.success(SecurityAction.PASSWORD_RESET_REDEEMED,
                    Actor.user(name, sourceAddress), SecurityEvent.user(name)));
            return Optional.of(opened);
        });
    }

    private static Optional<String> userOfToken(Connection connection, ResetToken token) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT u.name FROM reset_tokens r JOIN users u ON u.id = r.user_id WHERE r.token_hash = ?")) {
            select.setBytes(1, token.sha256());
            try (ResultSet rs = select.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        }
    }

    private static String whyRefused(Connection connection, ResetToken token, Instant now) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT r.used_at, r.superseded_at, r.expires_at, u.state FROM reset_tokens r JOIN users u ON u.id = r.user_id "
                        + "WHERE r.token_hash = ?")) {
            select.setBytes(1, token.sha256());
            try (ResultSet rs = select.executeQuery()) {
                if (!rs.next()) {
                    return "unknown";
                }
                if (instant(rs, "used_at") != null) {
                    return "already used";
                }
                if (instant(rs, "superseded_at") != null) {
                    return "superseded";
                }
                if (!instant(rs, "expires_at").isAfter(now)) {
                    return "expired";
                }
                return "user is " + rs.getString("state").toLowerCase(java.util.Locale.ROOT);
            }
        }
    }

    // ---- step 3: the new password -----------------------------------------------------------------------

    /**
     * Sets the new password. The password is checked before the second factor, so a rejected
     * password never spends a recovery code; the factor is spent and the password stored in one
     * transaction. Every reset session of the user ends.
     */
    void setPassword(SessionCall call, char[] password, String secondFactor) {
        database.inTransaction(connection -> {
            Instant now = clock.instant();
            Session session = EnrollmentSessions.live(connection, SessionKind.RESET, call.cookie(), now, true);
            Actor actor = session.actor(call.sourceAddress());
            String subject = SecurityEvent.user(session.userName());
            try {
                EnrollmentSessions.checkCsrf(session, call.csrf());
            } catch (ForbiddenException e) {
                events.record(connection, SecurityEvent.refused(SecurityAction.PASSWORD_RESET_FAILED, actor, subject,
                        "missing or wrong CSRF value"));
                return Outcome.<Void>refused(e);
            }
            Optional<String> problem = PasswordRules.problem(password,
                    List.of(session.userName(), session.email(), session.displayName()));
            if (problem.isPresent()) {
                return Outcome.<Void>refused(new BadRequestException(problem.get()));
            }
            SecondFactors.Factors have = SecondFactors.of(connection, session.userId());
            String used = "none";
            if (have.totp() || have.webauthn() > 0 || have.unusedRecoveryCodes() > 0) {
                if (!have.totp() && have.unusedRecoveryCodes() == 0) {
                    events.record(connection, SecurityEvent.refused(SecurityAction.PASSWORD_RESET_FAILED, actor, subject,
                            "only a security key, which cannot be used here"));
                    return Outcome.<Void>refused(new ConflictException("This account's only second factor is a security "
                            + "key, which cannot be used to reset a password here. Ask your administrator for help."));
                }
                if (secondFactor == null || secondFactor.isBlank()) {
                    return Outcome.<Void>refused(new BadRequestException(
                            "Enter a code from your authenticator app or one of your recovery codes."));
                }
                if (have.totp() && factors.useTotp(connection, session.userId(), secondFactor, now)) {
                    used = "totp";
                } else if (have.unusedRecoveryCodes() > 0
                        && SecondFactors.useRecoveryCode(connection, session.userId(), secondFactor, now)) {
                    used = "recovery-code";
                } else {
                    events.record(connection, SecurityEvent.refused(SecurityAction.PASSWORD_RESET_FAILED, actor, subject,
                            "second factor did not match"));
                    return Outcome.<Void>refused(new BadRequestException("That code did not match. Enter the current code "
                            + "from your authenticator app (each code works once), or one of your unused recovery codes."));
                }
            }
            String hash = PasswordHasher.hash(password);
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?");
                 PreparedStatement endSessions = connection.prepareStatement(
                         "UPDATE enrollment_sessions SET ended_at = ? WHERE user_id = ? AND kind = 'RESET' AND ended_at IS NULL")) {
                update.setString(1, hash);
                update.setObject(2, timestamp(now));
                update.setObject(3, session.userId());
                update.executeUpdate();
                endSessions.setObject(1, timestamp(now));
                endSessions.setObject(2, session.userId());
                endSessions.executeUpdate();
            }
            events.record(connection, SecurityEvent.success(SecurityAction.PASSWORD_RESET_DONE, actor, subject)
                    .with("second_factor", used));
            return Outcome.<Void>done(null);
        }).valueOrThrow();
    }
}
