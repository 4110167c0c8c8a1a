package dev.portcullis.core.link;

import java.time.Clock;
import java.time.Duration;

/**
 * Timings of core's component links.
 *
 * @param componentCertificateLifetime lifetime of certificates issued to components (default 7 days)
 * @param rotateAtFraction             rotate once this fraction of a certificate's lifetime has passed (default 2/3)
 * @param backoffMin                   first reconnect delay (default 250 ms)
 * @param backoffMax                   reconnect delay cap (default 30 s)
 * @param clock                        time source
 */
public record SupervisorSettings(Duration componentCertificateLifetime, double rotateAtFraction, Duration backoffMin,
                                 Duration backoffMax, Clock clock) {

    public static SupervisorSettings defaults() {
        return new SupervisorSettings(Duration.ofDays(7), 2.0 / 3.0, Duration.ofMillis(250), Duration.ofSeconds(30),
                Clock.systemUTC());
    }

    public SupervisorSettings {
        if (rotateAtFraction <= 0 || rotateAtFraction >= 1) {
            throw new IllegalArgumentException("rotateAtFraction must be between 0 and 1");
        }
    }
}
