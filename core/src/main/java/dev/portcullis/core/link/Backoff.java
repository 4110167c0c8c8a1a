package dev.portcullis.core.link;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential reconnect delay with jitter: after n failures the delay is drawn from
 * [cap/2, cap] where cap = min(max, min * 2^n). Jitter keeps a restarted core from dialing
 * every component in lock-step; the floor keeps a failing component from being hammered.
 * Not thread-safe: owned by one link.
 */
final class Backoff {

    private final Duration min;
    private final Duration max;
    private int failures;

    Backoff(Duration min, Duration max) {
        this.min = min;
        this.max = max;
    }

    Duration next() {
        long cap = Math.min(max.toMillis(), min.toMillis() << Math.min(failures, 20));
        failures++;
        long half = Math.max(1, cap / 2);
        return Duration.ofMillis(half + ThreadLocalRandom.current().nextLong(half + 1));
    }

    void reset() {
        failures = 0;
    }

    int failures() {
        return failures;
    }
}
