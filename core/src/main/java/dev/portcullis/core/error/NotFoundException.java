package dev.portcullis.core.error;

/** The thing asked for does not exist (or was removed). */
public final class NotFoundException extends PortcullisException {

    private static final long serialVersionUID = 1L;

    public NotFoundException(String publicMessage) {
        super(publicMessage, null);
    }

    @Override
    public int httpStatus() {
        return 404;
    }
}
