package dev.portcullis.core.audit;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A security event to append to the audit log: who ({@code actor}, e.g. {@code admin:alice},
 * {@code user:bob}, {@code core}, {@code component:gw-1}) did what ({@code action}, dotted, e.g.
 * {@code invite.issued}) to what ({@code subject}), from where ({@code sourceAddress}, may be null),
 * with which {@link Outcome}, plus a few {@code details}.
 * <p>
 * Callers must never pass secrets (tokens, codes, keys, passwords): the log is exported and read by
 * people. Texts an attacker can choose (a user name, a subject, a source, a detail value) are cut at
 * their bound and end in {@value #CUT_MARK}, so that an over-long name still produces its event; a NUL
 * or a lone UTF-16 surrogate becomes U+FFFD (PostgreSQL text cannot hold NUL, and UTF-8 cannot hold a
 * lone surrogate, so the record would not read back as written). Parts code chooses (the action, the
 * detail keys, how many details) are checked instead, and a mistake is an {@link IllegalArgumentException}.
 */
public record AuditEvent(String actor, String action, String subject, String sourceAddress, Outcome outcome,
                         Map<String, String> details) {

    /** Room for a prefix and a 63-character name ({@code admin:}, {@code user:}, {@code component:}) with margin. */
    public static final int MAX_ACTOR_CHARS = 128;
    /** Dotted names are short by convention; a long one is a bug, not data. */
    public static final int MAX_ACTION_CHARS = 64;
    /** Subjects are names, ids, key fingerprints; 256 leaves room without letting one event grow the log much. */
    public static final int MAX_SUBJECT_CHARS = 256;
    /** An IPv6 address with a zone and a port is under 64 characters. */
    public static final int MAX_SOURCE_CHARS = 64;
    /** Details are a handful of facts; more means the event should be split or the data does not belong here. */
    public static final int MAX_DETAILS = 16;
    /** 32 is the longest parameter name RFC 5424 syslog allows, and detail keys become parameter names there. */
    public static final int MAX_DETAIL_KEY_CHARS = 32;
    /** Long enough for a reason or a list of addresses; bounds one record to a few kilobytes. */
    public static final int MAX_DETAIL_VALUE_CHARS = 512;
    /** Ends every text cut at its bound. */
    public static final String CUT_MARK = "…";

    private static final Pattern ACTION = Pattern.compile("[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*");
    private static final Pattern DETAIL_KEY = Pattern.compile("[a-z][a-z0-9_.-]*");
    private static final char REPLACEMENT = '\uFFFD';

    /** How the attempt ended. */
    public enum Outcome {
        /** It happened. */
        SUCCESS,
        /** It was attempted and failed (wrong code, unreachable gateway, invalid input). */
        FAILURE,
        /** Policy refused it (not authorized, locked out, rate-limited). */
        DENIED
    }

    public AuditEvent {
        Objects.requireNonNull(outcome, "outcome");
        if (action == null || action.length() > MAX_ACTION_CHARS || !ACTION.matcher(action).matches()) {
            throw new IllegalArgumentException("audit action must be dotted lower-case words of at most "
                    + MAX_ACTION_CHARS + " characters, e.g. invite.issued");
        }
        actor = bounded(Objects.requireNonNull(actor, "actor"), MAX_ACTOR_CHARS);
        if (actor.isEmpty()) {
            throw new IllegalArgumentException("audit actor must not be empty");
        }
        subject = bounded(Objects.requireNonNull(subject, "subject"), MAX_SUBJECT_CHARS);
        sourceAddress = sourceAddress == null ? null : bounded(sourceAddress, MAX_SOURCE_CHARS);
        details = checkedDetails(details == null ? Map.of() : details);
    }

    /** An event without source address and details. */
    public static AuditEvent of(String actor, String action, String subject, Outcome outcome) {
        return new AuditEvent(actor, action, subject, null, outcome, null);
    }

    /** The same event with {@code sourceAddress}. */
    public AuditEvent withSource(String address) {
        return new AuditEvent(actor, action, subject, address, outcome, details);
    }

    /** The same event with one more detail (or {@code key} replaced). */
    public AuditEvent with(String key, String value) {
        TreeMap<String, String> more = new TreeMap<>(details);
        more.put(key, value);
        return new AuditEvent(actor, action, subject, sourceAddress, outcome, more);
    }

    /** Unmodifiable, keys in ascending order (the order the hash and the exports use). */
    private static SortedMap<String, String> checkedDetails(Map<String, String> details) {
        if (details.size() > MAX_DETAILS) {
            throw new IllegalArgumentException("an audit event has at most " + MAX_DETAILS + " details");
        }
        TreeMap<String, String> checked = new TreeMap<>();
        for (Map.Entry<String, String> detail : details.entrySet()) {
            String key = detail.getKey();
            if (key == null || key.length() > MAX_DETAIL_KEY_CHARS || !DETAIL_KEY.matcher(key).matches()) {
                throw new IllegalArgumentException("audit detail keys are lower-case ASCII names of at most "
                        + MAX_DETAIL_KEY_CHARS + " characters ([a-z][a-z0-9_.-]*)");
            }
            checked.put(key, bounded(Objects.requireNonNull(detail.getValue(), "detail value"), MAX_DETAIL_VALUE_CHARS));
        }
        return Collections.unmodifiableSortedMap(checked);
    }

    /** Replaces NUL and lone surrogates, then cuts at {@code max} characters (never inside a surrogate pair). */
    static String bounded(String text, int max) {
        String clean = wellFormed(text);
        if (clean.length() <= max) {
            return clean;
        }
        int end = max - CUT_MARK.length();
        if (Character.isHighSurrogate(clean.charAt(end - 1))) {
            end--;
        }
        return clean.substring(0, end) + CUT_MARK;
    }

    private static String wellFormed(String text) {
        StringBuilder fixed = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean bad;
            if (c == 0) {
                bad = true;
            } else if (Character.isHighSurrogate(c)) {
                if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                    if (fixed != null) {
                        fixed.append(c).append(text.charAt(i + 1));
                    }
                    i++;
                    continue;
                }
                bad = true;
            } else {
                bad = Character.isLowSurrogate(c);
            }
            if (bad && fixed == null) {
                fixed = new StringBuilder(text.length()).append(text, 0, i);
            }
            if (fixed != null) {
                fixed.append(bad ? REPLACEMENT : c);
            }
        }
        return fixed == null ? text : fixed.toString();
    }
}
