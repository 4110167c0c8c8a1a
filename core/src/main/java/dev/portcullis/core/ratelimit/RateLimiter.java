package dev.portcullis.core.ratelimit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * A fixed-window rate limit per key: at most {@code permits} events per {@code window}, counted from
 * a key's first event in the window.
 * <p>
 * Memory is bounded: at most {@code maxKeys} windows are kept, the least recently used one dropped
 * first. An attacker who sends many distinct keys (tokens, cookie values) therefore costs a bounded
 * amount of memory; the price is that they can push an idle key's count out early, which only ever
 * lets that key start a fresh window, never raises the limit of a key in use by more than one window.
 */
public final class RateLimiter {

    /**
     * Default bound on keys tracked by one limiter: 10,000 windows of well under 200 bytes each stay
     * under 2 MiB, and exceed the number of tokens or sessions that are live at once by far.
     */
    public static final int DEFAULT_MAX_KEYS = 10_000;

    private final String name;
    private final int permits;
    private final Duration window;
    private final int maxKeys;
    private final Clock clock;

    /** Access-ordered, so the eldest entry is the least recently used. Guarded by {@code this}. */
    private final LinkedHashMap<String, Window> windows;

    /**
     * @param name    what is limited, for diagnostics (e.g. "redeem per token")
     * @param permits events allowed per window (at least 1)
     * @param window  the window's length
     * @param maxKeys most keys tracked at once
     */
    public RateLimiter(String name, int permits, Duration window, int maxKeys, Clock clock) {
        if (permits < 1 || window.isZero() || window.isNegative() || maxKeys < 1) {
            throw new IllegalArgumentException("a rate limit needs permits >= 1, a positive window and room for one key");
        }
        this.name = Objects.requireNonNull(name);
        this.permits = permits;
        this.window = window;
        this.maxKeys = maxKeys;
        this.clock = clock;
        this.windows = new LinkedHashMap<>(64, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Window> eldest) {
                return size() > RateLimiter.this.maxKeys;
            }
        };
    }

    public RateLimiter(String name, int permits, Duration window, Clock clock) {
        this(name, permits, window, DEFAULT_MAX_KEYS, clock);
    }

    private static final class Window {
        Instant start;
        int used;

        Window(Instant start) {
            this.start = start;
        }
    }

    /**
     * Counts one event for {@code key}. Empty if it is within the limit; otherwise the whole seconds
     * until the key's window ends (at least 1), for a Retry-After header.
     */
    public synchronized OptionalLong tryAcquire(String key) {
        Instant now = clock.instant();
        Window current = windows.get(key);
        if (current == null || !now.isBefore(current.start.plus(window))) {
            current = new Window(now);
            windows.put(key, current);
        }
        if (current.used >= permits) {
            long millis = Duration.between(now, current.start.plus(window)).toMillis();
            return OptionalLong.of(Math.max(1, (millis + 999) / 1000));
        }
        current.used++;
        return OptionalLong.empty();
    }

    /** How many keys are tracked now (at most {@code maxKeys}). */
    public synchronized int trackedKeys() {
        return windows.size();
    }

    @Override
    public String toString() {
        return "RateLimiter[" + name + ": " + permits + " per " + window + "]";
    }
}
