package dev.portcullis.core.location;

import dev.portcullis.core.error.BadRequestException;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** A second factor a location accepts for a tunnel session. */
public enum MfaMethod {
    /** A code from an authenticator app (RFC 6238). */
    TOTP,
    /** A security key or platform authenticator (WebAuthn). */
    WEBAUTHN;

    /** Lower-case, as admins type it and the admin API shows it. */
    public String text() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static MfaMethod parse(String text) {
        if (text != null) {
            String clean = text.strip().toUpperCase(Locale.ROOT);
            for (MfaMethod method : values()) {
                if (method.name().equals(clean)) {
                    return method;
                }
            }
        }
        throw new BadRequestException("mfa methods are 'totp' and 'webauthn' (one or both)");
    }

    /** A non-empty set of methods; null or empty means both. */
    public static Set<MfaMethod> parseAll(List<String> texts) {
        if (texts == null || texts.isEmpty()) {
            return EnumSet.allOf(MfaMethod.class);
        }
        Set<MfaMethod> methods = EnumSet.noneOf(MfaMethod.class);
        for (String text : texts) {
            methods.add(parse(text));
        }
        return methods;
    }
}
