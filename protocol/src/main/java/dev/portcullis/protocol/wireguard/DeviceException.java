package dev.portcullis.protocol.wireguard;

/** The device refused, failed or answered something we will not trust. The message is safe to log; never key material. */
public class DeviceException extends Exception {

    private static final long serialVersionUID = 1L;

    public DeviceException(String message) {
        super(message);
    }

    public DeviceException(String message, Throwable cause) {
        super(message, cause);
    }
}
