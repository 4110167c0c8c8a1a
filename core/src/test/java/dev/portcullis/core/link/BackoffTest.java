package dev.portcullis.core.link;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void delaysGrowExponentiallyWithJitterUpToTheCap() {
        Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(3));
        long[] caps = {100, 200, 400, 800, 1600, 3000, 3000, 3000};
        for (long cap : caps) {
            long delay = backoff.next().toMillis();
            assertThat(delay).isBetween(cap / 2, cap);
        }
    }

    @Test
    void jitterSpreadsReconnectsOfManyLinks() {
        long min = Long.MAX_VALUE;
        long max = 0;
        for (int i = 0; i < 200; i++) {
            Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30));
            long delay = backoff.next().toMillis();
            min = Math.min(min, delay);
            max = Math.max(max, delay);
        }
        assertThat(max - min).as("spread of first delays across 200 links").isGreaterThan(200);
    }

    @Test
    void resetStartsOverAfterASuccessfulConnection() {
        Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(30));
        for (int i = 0; i < 10; i++) {
            backoff.next();
        }
        backoff.reset();
        assertThat(backoff.next().toMillis()).isBetween(50L, 100L);
        assertThat(backoff.failures()).isEqualTo(1);
    }

    @Test
    void manyFailuresDoNotOverflow() {
        Backoff backoff = new Backoff(Duration.ofMillis(250), Duration.ofSeconds(30));
        for (int i = 0; i < 1000; i++) {
            assertThat(backoff.next().toMillis()).isBetween(1L, 30_000L);
        }
    }
}
