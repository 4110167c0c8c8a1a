package dev.portcullis.core.error;

/** No valid admin credential was presented. */
public final class UnauthorizedException extends PortcullisException {

    private static final long serialVersionUID = 1L;

    public UnauthorizedException(String publicMessage) {
        super(publicMessage, null);
    }

    @Override
    public int httpStatus() {
        return 401;
    }
}
