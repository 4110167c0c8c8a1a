package dev.portcullis.core.error;

/** The caller is known (or did not need to be) but may not do this, e.g. a missing or wrong CSRF value. */
public final class ForbiddenException extends PortcullisException {

    private static final long serialVersionUID = 1L;

    public ForbiddenException(String publicMessage) {
        super(publicMessage, null);
    }

    @Override
    public int httpStatus() {
        return 403;
    }
}
