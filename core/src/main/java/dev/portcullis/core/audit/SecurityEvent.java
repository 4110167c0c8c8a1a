package dev.portcullis.core.audit;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One security event. Nothing in it may be a secret: no token, password, code, key or link.
 *
 * @param action  what happened
 * @param actor   who did it and from where
 * @param subject what it happened to, e.g. {@code user:alice} or {@code device:alice/laptop}
 * @param outcome whether it was done or refused
 * @param details a few more facts (kept in insertion order), e.g. {@code step=totp}
 */
public record SecurityEvent(SecurityAction action, Actor actor, String subject, Outcome outcome,
                            Map<String, String> details) {

    /** Whether the change happened. */
    public enum Outcome {
        SUCCESS, REFUSED, FAILED
    }

    public SecurityEvent {
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(outcome, "outcome");
        subject = subject == null ? "-" : subject;
        details = details == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(details));
    }

    public static SecurityEvent success(SecurityAction action, Actor actor, String subject) {
        return new SecurityEvent(action, actor, subject, Outcome.SUCCESS, Map.of());
    }

    public static SecurityEvent refused(SecurityAction action, Actor actor, String subject, String reason) {
        return new SecurityEvent(action, actor, subject, Outcome.REFUSED, Map.of("reason", reason));
    }

    /** A copy with one more detail. */
    public SecurityEvent with(String key, Object value) {
        Map<String, String> more = new LinkedHashMap<>(details);
        more.put(key, String.valueOf(value));
        return new SecurityEvent(action, actor, subject, outcome, more);
    }

    public static String user(String login) {
        return "user:" + login;
    }

    public static String component(String name) {
        return "component:" + name;
    }

    public static String device(String login, String deviceName) {
        return "device:" + login + "/" + deviceName;
    }
}
