package dev.portcullis.core.error;

/**
 * An error with two faces: {@link #publicMessage()} is safe to show the caller (no SQL, no stack,
 * no key material); the exception's cause, if any, is for the log only. Mapped to an HTTP status
 * once, by {@link ErrorResponses}.
 */
public abstract class PortcullisException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String publicMessage;

    protected PortcullisException(String publicMessage, Throwable cause) {
        super(publicMessage, cause);
        this.publicMessage = publicMessage;
    }

    /** Text safe to show to whoever made the request. */
    public final String publicMessage() {
        return publicMessage;
    }

    /** The HTTP status this error maps to at the admin API boundary. */
    public abstract int httpStatus();
}
