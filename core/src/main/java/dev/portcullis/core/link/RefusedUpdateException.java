package dev.portcullis.core.link;

/** A pushed update did not take effect on the component; the message is safe to show an admin. */
public final class RefusedUpdateException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public RefusedUpdateException(String message) {
        super(message, null, false, false);
    }
}
