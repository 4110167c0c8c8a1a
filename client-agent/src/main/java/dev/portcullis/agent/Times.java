package dev.portcullis.agent;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/** How times from core are shown to people: local clock times and "7h 59m left". */
final class Times {

    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm");
    private static final DateTimeFormatter DAY_AND_CLOCK = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm");

    private Times() {
    }

    static Optional<Instant> parse(String iso) {
        try {
            return iso == null ? Optional.empty() : Optional.of(Instant.parse(iso));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** "18:02" today, else "2025-03-01 18:02", in this device's time zone. */
    static String clock(Instant instant, Instant now) {
        ZoneId zone = ZoneId.systemDefault();
        ZonedDateTime local = instant.atZone(zone);
        return local.toLocalDate().equals(LocalDate.ofInstant(now, zone)) ? CLOCK.format(local) : DAY_AND_CLOCK.format(local);
    }

    /** "7h 59m", "4m 10s", "12s"; "0s" once passed. */
    static String left(Instant until, Instant now) {
        Duration left = Duration.between(now, until);
        if (left.isNegative() || left.isZero()) {
            return "0s";
        }
        long hours = left.toHours();
        long minutes = left.toMinutesPart();
        if (hours > 0) {
            return hours + "h " + minutes + "m";
        }
        if (minutes > 0) {
            return minutes + "m " + left.toSecondsPart() + "s";
        }
        return left.toSecondsPart() + "s";
    }

    /** "3m 10s ago" or "never". */
    static String ago(Optional<Instant> when, Instant now) {
        return when.map(at -> left(now, at) + " ago").orElse("never");
    }
}
