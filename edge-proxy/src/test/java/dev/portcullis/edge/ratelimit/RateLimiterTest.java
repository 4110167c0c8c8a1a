package dev.portcullis.edge.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimiterTest {

    private final AtomicLong nanos = new AtomicLong();

    @Test
    void aClientGetsItsAllowanceThenWaitsForTheNextToken() throws Exception {
        RateLimiter limiter = new RateLimiter(60, nanos::get, 100);
        InetAddress client = InetAddress.getByName("192.0.2.1");

        for (int i = 0; i < 60; i++) {
            assertThat(limiter.tryAcquire(client).allowed()).isTrue();
        }
        RateLimiter.Decision refused = limiter.tryAcquire(client);
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.retryAfterSeconds()).isEqualTo(1);

        nanos.addAndGet(TimeUnit.SECONDS.toNanos(1));
        assertThat(limiter.tryAcquire(client).allowed()).isTrue();
        assertThat(limiter.tryAcquire(client).allowed()).isFalse();
    }

    @Test
    void clientsHaveSeparateBuckets() throws Exception {
        RateLimiter limiter = new RateLimiter(1, nanos::get, 100);

        assertThat(limiter.tryAcquire(InetAddress.getByName("192.0.2.1")).allowed()).isTrue();
        assertThat(limiter.tryAcquire(InetAddress.getByName("192.0.2.1")).allowed()).isFalse();
        assertThat(limiter.tryAcquire(InetAddress.getByName("192.0.2.2")).allowed()).isTrue();
    }

    @Test
    void oneIpv6SlashSixtyFourSharesABucket() throws Exception {
        RateLimiter limiter = new RateLimiter(1, nanos::get, 100);

        assertThat(limiter.tryAcquire(InetAddress.getByName("2001:db8:1:2::1")).allowed()).isTrue();
        assertThat(limiter.tryAcquire(InetAddress.getByName("2001:db8:1:2:ffff::9")).allowed()).isFalse();
        assertThat(limiter.tryAcquire(InetAddress.getByName("2001:db8:1:3::1")).allowed()).isTrue();
    }

    @Test
    void idleClientsAreForgottenAndTheNumberTrackedIsBounded() throws Exception {
        RateLimiter limiter = new RateLimiter(10, nanos::get, 3);
        for (int i = 1; i <= 5; i++) {
            limiter.tryAcquire(InetAddress.getByName("192.0.2." + i));
        }
        assertThat(limiter.trackedClients()).isEqualTo(3);

        nanos.addAndGet(TimeUnit.MINUTES.toNanos(1));
        limiter.tryAcquire(InetAddress.getByName("198.51.100.1"));
        assertThat(limiter.trackedClients()).isEqualTo(1);
    }

    @Test
    void aNewLimitFromCoreAppliesAtOnce() throws Exception {
        RateLimiter limiter = new RateLimiter(100, nanos::get, 100);
        InetAddress client = InetAddress.getByName("192.0.2.1");
        limiter.tryAcquire(client);

        limiter.setRequestsPerMinute(2);

        assertThat(limiter.tryAcquire(client).allowed()).isTrue();
        assertThat(limiter.tryAcquire(client).allowed()).isTrue();
        assertThat(limiter.tryAcquire(client).allowed()).isFalse();
    }
}
