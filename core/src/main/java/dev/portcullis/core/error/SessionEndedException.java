package dev.portcullis.core.error;

/**
 * The caller's session (enrollment or password reset) has ended or never existed: 401, with a
 * message saying how to start again.
 */
public final class SessionEndedException extends PortcullisException {

    private static final long serialVersionUID = 1L;

    public SessionEndedException(String publicMessage) {
        super(publicMessage, null);
    }

    @Override
    public int httpStatus() {
        return 401;
    }
}
