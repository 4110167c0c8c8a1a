package dev.portcullis.edge.ratelimit;

import java.net.InetAddress;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A token bucket per client ({@link ClientKey}): a client may burst up to a minute's allowance,
 * then gets one request per {@code 60 / limit} seconds. The limit follows core's configuration.
 * Buckets of idle clients (full again) are forgotten; the number of buckets is bounded.
 */
public final class RateLimiter {

    /**
     * About 150 bytes per tracked client, so about 7.5 MB at the bound. More distinct clients
     * than this within a minute is an attack; the least recently seen are forgotten first.
     */
    public static final int MAX_TRACKED_CLIENTS = 50_000;
    /** Idle buckets examined per request: keeps forgetting idle clients O(1) per request. */
    private static final int SWEEP_PER_REQUEST = 4;
    private static final long NANOS_PER_MINUTE = TimeUnit.MINUTES.toNanos(1);

    private final LongSupplier nanoTime;
    private final int maxTracked;

    /** Guarded by {@code this}: the buckets, least recently used first. */
    private final LinkedHashMap<ClientKey, Bucket> buckets;
    /** Guarded by {@code this}. */
    private int requestsPerMinute;

    public RateLimiter(int requestsPerMinute) {
        this(requestsPerMinute, System::nanoTime, MAX_TRACKED_CLIENTS);
    }

    public RateLimiter(int requestsPerMinute, LongSupplier nanoTime, int maxTracked) {
        this.nanoTime = nanoTime;
        this.maxTracked = maxTracked;
        this.buckets = new LinkedHashMap<>(64, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<ClientKey, Bucket> eldest) {
                return size() > RateLimiter.this.maxTracked;
            }
        };
        setRequestsPerMinute(requestsPerMinute);
    }

    /** Core changed the limit. Existing buckets keep their tokens, capped at the new size. */
    public synchronized void setRequestsPerMinute(int perMinute) {
        if (perMinute < 1) {
            throw new IllegalArgumentException("limit must be positive");
        }
        this.requestsPerMinute = perMinute;
    }

    public synchronized int requestsPerMinute() {
        return requestsPerMinute;
    }

    /** Takes one token for this client, or says how long until one is available. */
    public synchronized Decision tryAcquire(InetAddress client) {
        long now = nanoTime.getAsLong();
        sweepIdle(now);
        Bucket bucket = buckets.computeIfAbsent(ClientKey.of(client), key -> new Bucket(requestsPerMinute, now));
        bucket.refill(now, requestsPerMinute);
        if (bucket.tokens >= 1) {
            bucket.tokens -= 1;
            return Decision.ALLOWED;
        }
        double nanosPerToken = (double) NANOS_PER_MINUTE / requestsPerMinute;
        long waitNanos = (long) Math.ceil((1 - bucket.tokens) * nanosPerToken);
        return new Decision(false, Math.max(1, TimeUnit.NANOSECONDS.toSeconds(waitNanos + TimeUnit.SECONDS.toNanos(1) - 1)));
    }

    /** Number of clients with a bucket (for tests and diagnostics). */
    public synchronized int trackedClients() {
        return buckets.size();
    }

    private void sweepIdle(long now) {
        Iterator<Bucket> eldest = buckets.values().iterator();
        for (int i = 0; i < SWEEP_PER_REQUEST && eldest.hasNext(); i++) {
            Bucket bucket = eldest.next();
            bucket.refill(now, requestsPerMinute);
            if (bucket.tokens >= requestsPerMinute) {
                eldest.remove();
            } else {
                return;
            }
        }
    }

    /** Whether a request may proceed; if not, after how many seconds to retry. */
    public record Decision(boolean allowed, long retryAfterSeconds) {
        static final Decision ALLOWED = new Decision(true, 0);
    }

    private static final class Bucket {
        private double tokens;
        private long refilledAt;

        Bucket(int capacity, long now) {
            this.tokens = capacity;
            this.refilledAt = now;
        }

        void refill(long now, int perMinute) {
            long elapsed = Math.max(0, now - refilledAt);
            tokens = Math.min(perMinute, tokens + (double) elapsed * perMinute / NANOS_PER_MINUTE);
            refilledAt = now;
        }
    }
}
