package dev.portcullis.core.audit;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place every security event goes through. Callers hand over the open connection of the
 * change the event describes, inside its transaction: the event is appended to the hash-chained
 * {@link AuditLog} on that same connection, so a change and its record commit or roll back
 * together, and it also becomes one structured line on logger {@code portcullis.audit} for
 * operators who tail logs.
 * <p>
 * Line format (logfmt): {@code action=invite.redeemed outcome=success actor=anonymous source=203.0.113.9
 * subject=user:alice step=...}. Values are reduced to printable characters and bounded, so nothing
 * a user typed can forge a line; callers never put secrets in an event.
 */
public final class SecurityEvents {

    /** The logger name operators route to their audit sink. */
    public static final String LOGGER = "portcullis.audit";
    /** Longer values are cut: an event names things, it does not carry documents. */
    static final int MAX_VALUE_CHARS = 200;

    private static final Logger AUDIT = LoggerFactory.getLogger(LOGGER);

    private final AuditLog log;

    public SecurityEvents(AuditLog log) {
        this.log = java.util.Objects.requireNonNull(log, "log");
    }

    /**
     * Records {@code event} as part of the transaction open on {@code connection}.
     *
     * @throws IllegalStateException if the connection is not inside a transaction (auto-commit on):
     *                               an event recorded outside its change could outlive a rolled-back change
     */
    public void record(Connection connection, SecurityEvent event) throws SQLException {
        if (connection == null || connection.getAutoCommit()) {
            throw new IllegalStateException("security events are recorded inside the transaction of their change");
        }
        log.append(connection, auditEvent(event));
        AUDIT.info(line(event));
    }

    /** The chain's form of {@code event}: refusals are policy denials, failures are failures. */
    static AuditEvent auditEvent(SecurityEvent event) {
        String source = event.actor().sourceAddress();
        AuditEvent.Outcome outcome = switch (event.outcome()) {
            case SUCCESS -> AuditEvent.Outcome.SUCCESS;
            case REFUSED -> AuditEvent.Outcome.DENIED;
            case FAILED -> AuditEvent.Outcome.FAILURE;
        };
        return new AuditEvent(event.actor().who(), event.action().text(), event.subject(),
                "-".equals(source) ? null : source, outcome, event.details());
    }

    static String line(SecurityEvent event) {
        StringBuilder line = new StringBuilder(128);
        append(line, "action", event.action().text());
        append(line, "outcome", event.outcome().name().toLowerCase(java.util.Locale.ROOT));
        append(line, "actor", event.actor().who());
        append(line, "source", event.actor().sourceAddress());
        append(line, "subject", event.subject());
        for (Map.Entry<String, String> detail : event.details().entrySet()) {
            append(line, detail.getKey().replaceAll("[^a-z0-9_.]", "_"), detail.getValue());
        }
        return line.toString();
    }

    private static void append(StringBuilder line, String key, String value) {
        if (line.length() > 0) {
            line.append(' ');
        }
        line.append(key).append('=').append(quoted(value == null ? "" : value));
    }

    /** Printable ASCII only, bounded; quoted when it holds a space, a quote or is empty. */
    static String quoted(String value) {
        String bounded = value.length() > MAX_VALUE_CHARS ? value.substring(0, MAX_VALUE_CHARS) + "..." : value;
        StringBuilder clean = new StringBuilder(bounded.length());
        for (int i = 0; i < bounded.length(); i++) {
            char c = bounded.charAt(i);
            clean.append(c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? c : '?');
        }
        String text = clean.toString();
        return text.isEmpty() || text.indexOf(' ') >= 0 || text.indexOf('=') >= 0 ? "\"" + text + "\"" : text;
    }
}
