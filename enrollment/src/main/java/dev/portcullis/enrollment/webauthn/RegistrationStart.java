package dev.portcullis.enrollment.webauthn;

import java.util.Objects;

/**
 * The start of a registration.
 *
 * @param requestJson the full request including the challenge; core keeps it server-side in the
 *                    enrollment session, passes it to {@link WebAuthnCeremonies#finishRegistration}
 *                    and then deletes it, so each challenge is used at most once
 * @param optionsJson {@code {"publicKey":{...}}} for the browser's {@code navigator.credentials.create()}
 */
public record RegistrationStart(String requestJson, String optionsJson) {
    public RegistrationStart {
        Objects.requireNonNull(requestJson, "requestJson");
        Objects.requireNonNull(optionsJson, "optionsJson");
    }
}
