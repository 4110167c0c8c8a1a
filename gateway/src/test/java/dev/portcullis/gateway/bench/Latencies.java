package dev.portcullis.gateway.bench;

import java.util.Arrays;
import java.util.Locale;

/** Durations in nanoseconds and their percentiles (nearest rank), printed in milliseconds. */
final class Latencies {

    private long[] nanos = new long[64];
    private int count;

    void add(long elapsedNanos) {
        if (count == nanos.length) {
            nanos = Arrays.copyOf(nanos, count * 2);
        }
        nanos[count++] = elapsedNanos;
    }

    int count() {
        return count;
    }

    /** The {@code p}-th percentile (0 < p ≤ 100), nearest rank, in milliseconds. */
    double percentileMillis(double p) {
        long[] sorted = Arrays.copyOf(nanos, count);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * count);
        return sorted[Math.max(0, Math.min(count - 1, rank - 1))] / 1e6;
    }

    double maxMillis() {
        return percentileMillis(100);
    }

    /** {@code p50 / p90 / p99 / max} in milliseconds, e.g. {@code 1.23 ms / …}. */
    String summary() {
        return String.format(Locale.ROOT, "p50 %.2f ms / p90 %.2f ms / p99 %.2f ms / max %.2f ms (n=%d)",
                percentileMillis(50), percentileMillis(90), percentileMillis(99), maxMillis(), count);
    }

    static String millis(long elapsedNanos) {
        return String.format(Locale.ROOT, "%.1f ms", elapsedNanos / 1e6);
    }
}
