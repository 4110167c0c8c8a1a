package dev.portcullis.core.tunnel;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The signed device requests core accepted in the last {@link #WINDOW}, so that a captured request
 * cannot be sent again. Entries are keyed by the digest of what was signed (not by the signature's
 * bytes: an ECDSA signature can be re-encoded into another valid one). Bounded in memory, per
 * device and in total; when a bound is reached new requests are refused until entries age out,
 * rather than forgetting one that could then be replayed.
 */
final class ReplayCache {

    /** As SESSION-API.md fixes it; longer than the accepted clock skew either side (2 × 120 s). */
    static final Duration WINDOW = Duration.ofMinutes(5);
    /**
     * Accepted requests one device may make per window: the agent polls finish once a second while a
     * browser hand-off is open (300 in 5 minutes) plus its other calls; twice that leaves room.
     */
    static final int MAX_PER_DEVICE = 600;
    /** All devices: ~100 bytes an entry, 10 MB at most; 330 accepted requests a second sustained. */
    static final int MAX_ENTRIES = 100_000;

    enum Verdict { FIRST_USE, REPLAYED, FULL }

    private final Clock clock;
    private final int maxPerDevice;
    private final int maxEntries;
    // Guarded by "this": the accepted digests in insertion order, which is expiry order.
    private final LinkedHashMap<ByteBuffer, Entry> seen = new LinkedHashMap<>();
    // Guarded by "this": live entries per device.
    private final Map<UUID, Integer> perDevice = new HashMap<>();

    private record Entry(UUID device, Instant expiresAt) {
    }

    ReplayCache(Clock clock) {
        this(clock, MAX_PER_DEVICE, MAX_ENTRIES);
    }

    ReplayCache(Clock clock, int maxPerDevice, int maxEntries) {
        this.clock = clock;
        this.maxPerDevice = maxPerDevice;
        this.maxEntries = maxEntries;
    }

    /** Remembers the digest of a verified request; says whether it was seen before or there is no room. */
    synchronized Verdict accept(UUID device, byte[] signedDigest) {
        Instant now = clock.instant();
        purge(now);
        ByteBuffer key = ByteBuffer.wrap(signedDigest.clone());
        if (seen.containsKey(key)) {
            return Verdict.REPLAYED;
        }
        if (seen.size() >= maxEntries || perDevice.getOrDefault(device, 0) >= maxPerDevice) {
            return Verdict.FULL;
        }
        seen.put(key, new Entry(device, now.plus(WINDOW)));
        perDevice.merge(device, 1, Integer::sum);
        return Verdict.FIRST_USE;
    }

    synchronized int size() {
        return seen.size();
    }

    private void purge(Instant now) {
        Iterator<Entry> entries = seen.values().iterator();
        while (entries.hasNext()) {
            Entry entry = entries.next();
            if (entry.expiresAt().isAfter(now)) {
                return;
            }
            entries.remove();
            perDevice.computeIfPresent(entry.device(), (d, n) -> n <= 1 ? null : n - 1);
        }
    }
}
