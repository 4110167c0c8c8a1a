package dev.portcullis.core.error;

/** The request is malformed or a value is out of range. */
public final class BadRequestException extends PortcullisException {

    private static final long serialVersionUID = 1L;

    public BadRequestException(String publicMessage) {
        super(publicMessage, null);
    }

    @Override
    public int httpStatus() {
        return 400;
    }
}
