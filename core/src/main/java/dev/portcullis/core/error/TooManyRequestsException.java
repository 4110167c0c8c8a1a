package dev.portcullis.core.error;

/** A rate limit was reached; the caller may try again after {@link #retryAfterSeconds()}. */
public final class TooManyRequestsException extends PortcullisException {

    private static final long serialVersionUID = 1L;

    private final long retryAfterSeconds;

    public TooManyRequestsException(String publicMessage, long retryAfterSeconds) {
        super(publicMessage, null);
        this.retryAfterSeconds = Math.max(1, retryAfterSeconds);
    }

    /** Whole seconds until the limit lets the caller through again (at least 1): the Retry-After value. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }

    @Override
    public int httpStatus() {
        return 429;
    }
}
