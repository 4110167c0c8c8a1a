package dev.portcullis.core.enroll;

import dev.portcullis.core.error.PortcullisException;

/**
 * The result of a step's transaction: a value, or a refusal to throw once the transaction has
 * committed. Refusals travel out as values, not exceptions, so that the security event recording
 * the refusal commits with it instead of being rolled back.
 */
public record Outcome<T>(T value, PortcullisException refusal) {

    public static <T> Outcome<T> done(T value) {
        return new Outcome<>(value, null);
    }

    public static <T> Outcome<T> refused(PortcullisException refusal) {
        return new Outcome<>(null, refusal);
    }

    public T valueOrThrow() {
        if (refusal != null) {
            throw refusal;
        }
        return value;
    }
}
