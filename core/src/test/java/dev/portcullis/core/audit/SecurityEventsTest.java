package dev.portcullis.core.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.portcullis.core.store.Database;
import dev.portcullis.core.store.TestPostgres;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class SecurityEventsTest {

    private final Database database = TestPostgres.freshDatabase().open();
    private final AuditLog log = AuditLog.start(database, java.time.Clock.systemUTC());
    private final SecurityEvents events = new SecurityEvents(log);

    @AfterEach
    void tearDown() {
        log.close();
        database.close();
    }

    @Test
    void anEventIsOneStructuredLineOnTheAuditLoggerInsideTheTransaction() {
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        Logger audit = (Logger) LoggerFactory.getLogger(SecurityEvents.LOGGER);
        lines.start();
        audit.addAppender(lines);
        try {
            database.inTransaction(connection -> {
                events.record(connection, SecurityEvent.refused(SecurityAction.INVITE_REFUSED, Actor.anonymous("203.0.113.9"),
                        SecurityEvent.user("alice"), "already redeemed").with("step", "redeem"));
                return null;
            });
        } finally {
            audit.detachAppender(lines);
        }

        assertThat(lines.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
                "action=invite.refused outcome=refused actor=anonymous source=203.0.113.9 subject=user:alice "
                        + "reason=\"already redeemed\" step=redeem");
    }

    @Test
    void anEventIsChainedWithItsChangeAndVanishesWithARolledBackOne() throws Exception {
        database.inTransaction(connection -> {
            events.record(connection, SecurityEvent.refused(SecurityAction.INVITE_REFUSED, Actor.anonymous("203.0.113.9"),
                    SecurityEvent.user("alice"), "already redeemed").with("step", "redeem"));
            return null;
        });
        assertThatThrownBy(() -> database.inTransaction(connection -> {
            events.record(connection, SecurityEvent.success(SecurityAction.USER_CREATED, Actor.core(), "user:bob"));
            throw new IllegalStateException("the change failed");
        })).hasMessage("the change failed");
        log.sync();

        try (Connection connection = database.dataSource().getConnection();
             var rows = connection.createStatement().executeQuery(
                     "SELECT actor, action, subject, source_address, outcome, details->>'reason', details->>'step' "
                             + "FROM audit_records ORDER BY seq")) {
            assertThat(rows.next()).isTrue();
            assertThat(List.of(rows.getString(1), rows.getString(2), rows.getString(3), rows.getString(4),
                    rows.getString(5), rows.getString(6), rows.getString(7))).containsExactly("anonymous",
                    "invite.refused", "user:alice", "203.0.113.9", "DENIED", "already redeemed", "redeem");
            assertThat(rows.next()).as("the rolled-back change left no record").isFalse();
        }
    }

    @Test
    void anEventOutsideATransactionIsRefused() throws Exception {
        try (Connection connection = database.dataSource().getConnection()) {
            connection.setAutoCommit(true);
            assertThatThrownBy(() -> events.record(connection, SecurityEvent.success(SecurityAction.USER_CREATED,
                    Actor.core(), "user:alice"))).isInstanceOf(IllegalStateException.class)
                    .hasMessage("security events are recorded inside the transaction of their change");
        }
    }

    @Test
    void valuesCannotForgeLinesOrFields() {
        String line = SecurityEvents.line(SecurityEvent.success(SecurityAction.DEVICE_RENAMED, Actor.user("alice", "-"),
                "device:alice/x\nSECOND LINE action=forged").with("previous_name", "a\"b\\c" + "z".repeat(300)));

        assertThat(line).doesNotContain("\n").contains("subject=\"device:alice/x?SECOND LINE action=forged\"")
                .contains("previous_name=a?b?czzz").contains("...");
        assertThat(line.length()).isLessThan(600);
    }
}
