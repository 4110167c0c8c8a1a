package dev.portcullis.core.error;

/** The request contradicts the current state, e.g. a duplicate name. */
public final class ConflictException extends PortcullisException {

    private static final long serialVersionUID = 1L;

    public ConflictException(String publicMessage) {
        super(publicMessage, null);
    }

    @Override
    public int httpStatus() {
        return 409;
    }
}
