package dev.portcullis.core.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.core.component.MutableClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RateLimiterTest {

    private final MutableClock clock = MutableClock.startingNow();

    @Test
    void aKeyGetsItsPermitsPerWindowThenTheSecondsUntilTheWindowEnds() {
        RateLimiter limiter = new RateLimiter("test", 3, Duration.ofMinutes(1), clock);

        assertThat(limiter.tryAcquire("a")).isEmpty();
        clock.advance(Duration.ofSeconds(20));
        assertThat(limiter.tryAcquire("a")).isEmpty();
        assertThat(limiter.tryAcquire("a")).isEmpty();
        assertThat(limiter.tryAcquire("a")).hasValue(40);
        assertThat(limiter.tryAcquire("b")).as("keys are independent").isEmpty();
        clock.advance(Duration.ofSeconds(39).plusMillis(500));
        assertThat(limiter.tryAcquire("a")).hasValue(1);
        clock.advance(Duration.ofMillis(500));
        assertThat(limiter.tryAcquire("a")).isEmpty();
    }

    @Test
    void memoryStaysBoundedWhateverNumberOfKeysArrives() {
        RateLimiter limiter = new RateLimiter("test", 1, Duration.ofMinutes(1), 100, clock);

        for (int i = 0; i < 10_000; i++) {
            limiter.tryAcquire("token-" + i);
        }
        limiter.tryAcquire("busy");

        assertThat(limiter.trackedKeys()).isEqualTo(100);
        assertThat(limiter.tryAcquire("busy")).as("the most recent key is still limited").isPresent();
    }
}
