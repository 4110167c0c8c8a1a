package dev.portcullis.core.audit;

/**
 * An event could not be recorded (database unreachable, log closed, not keeping up). The caller
 * decides whether its action may proceed unaudited; for a security decision it should not. The
 * message is safe to log; the cause, if any, is the database's.
 */
public final class AuditUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    AuditUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
