package dev.portcullis.core.audit;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Bounded polling for an asynchronous outcome; fails with what never happened. */
final class Poll {

    private static final Duration INTERVAL = Duration.ofMillis(20);

    private Poll() {
    }

    static void until(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what);
            }
            LockSupport.parkNanos(INTERVAL.toNanos());
        }
    }
}
