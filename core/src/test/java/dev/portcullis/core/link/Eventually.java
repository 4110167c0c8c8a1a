package dev.portcullis.core.link;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Bounded polling for asynchronous outcomes; fails with a description of what never happened. */
public final class Eventually {

    public static final Duration DEFAULT = Duration.ofSeconds(20);

    private Eventually() {
    }

    public static void await(String what, BooleanSupplier condition) {
        await(what, DEFAULT, condition, () -> "");
    }

    public static void await(String what, BooleanSupplier condition, Supplier<String> diagnostics) {
        await(what, DEFAULT, condition, diagnostics);
    }

    public static void await(String what, Duration timeout, BooleanSupplier condition, Supplier<String> diagnostics) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for: " + what);
            }
        }
        throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for: " + what + " "
                + diagnostics.get());
    }

    /** Asserts that a condition stays false for the given time. */
    public static void never(String what, Duration during, BooleanSupplier condition) {
        long deadline = System.nanoTime() + during.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                throw new AssertionError("happened although it must not: " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
