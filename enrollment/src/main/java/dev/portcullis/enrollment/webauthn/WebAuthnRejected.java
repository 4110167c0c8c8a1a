package dev.portcullis.enrollment.webauthn;

import java.util.Objects;

/**
 * A WebAuthn ceremony failed. {@link #getMessage()} is safe to show the user (it never names a key,
 * a challenge or a library detail); {@link #reason()} is for the audit record; {@link #getCause()}
 * holds the library's own exception for the operator's log.
 */
public final class WebAuthnRejected extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why, coarsely; each carries the user-facing message. */
    public enum Reason {
        /** The browser's answer could not be read at all. */
        MALFORMED("The security key's answer could not be read. Please try again."),
        /** The stored request is missing or unreadable: the ceremony has to start again. */
        NO_CEREMONY("This security key request has expired. Please start again."),
        /** The authenticator did not verify the user (PIN or biometric). */
        USER_NOT_VERIFIED("Your security key did not verify you (PIN or fingerprint). Use a key with user verification and try again."),
        /** Signature counter did not advance: the credential may have been cloned. */
        COUNTER_NOT_INCREASED("This security key reported a signature counter that went backwards, which can mean it was cloned. Contact your administrator."),
        /** The credential is already registered. */
        ALREADY_REGISTERED("This security key is already registered."),
        /** Any other failed check: origin, challenge, signature, RP ID, attestation, unknown credential. */
        NOT_VERIFIED("The security key could not be verified. Please try again.");

        private final String userMessage;

        Reason(String userMessage) {
            this.userMessage = userMessage;
        }

        public String userMessage() {
            return userMessage;
        }
    }

    private final Reason reason;

    public WebAuthnRejected(Reason reason, Throwable internalCause) {
        super(Objects.requireNonNull(reason).userMessage(), internalCause);
        this.reason = reason;
    }

    public WebAuthnRejected(Reason reason) {
        this(reason, null);
    }

    public Reason reason() {
        return reason;
    }
}
