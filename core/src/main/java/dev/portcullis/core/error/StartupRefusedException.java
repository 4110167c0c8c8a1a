package dev.portcullis.core.error;

/**
 * Core cannot start safely (wrong master key, a secret file readable by others, an admin address
 * that is not internal...). The message says what is wrong and what to do; it is printed to the
 * operator without a stack trace.
 */
public final class StartupRefusedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public StartupRefusedException(String message) {
        super(message);
    }

    public StartupRefusedException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The first StartupRefusedException in a cause chain (frameworks wrap what a bean throws). */
    public static java.util.Optional<StartupRefusedException> findIn(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof StartupRefusedException refused) {
                return java.util.Optional.of(refused);
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return java.util.Optional.empty();
    }
}
