package dev.portcullis.enrollment.webauthn;

import java.util.Objects;

/**
 * The start of an assertion (a tunnel-MFA sign-in with a security key).
 *
 * @param requestJson the full request including the challenge; core keeps it server-side, passes it
 *                    to {@link WebAuthnCeremonies#finishAssertion} and then deletes it, so each
 *                    challenge is used at most once
 * @param optionsJson {@code {"publicKey":{...}}} for {@code navigator.credentials.get()}
 */
public record AssertionStart(String requestJson, String optionsJson) {
    public AssertionStart {
        Objects.requireNonNull(requestJson, "requestJson");
        Objects.requireNonNull(optionsJson, "optionsJson");
    }
}
