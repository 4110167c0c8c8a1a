package dev.portcullis.core.audit;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** Audit times are kept to the microsecond, PostgreSQL's precision, so that a time reads back exactly as hashed. */
final class AuditClock {

    private AuditClock() {
    }

    static Instant now(Clock clock) {
        return micros(clock.instant());
    }

    static Instant micros(Instant instant) {
        return instant.truncatedTo(ChronoUnit.MICROS);
    }
}
