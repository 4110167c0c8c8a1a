package dev.portcullis.edge.http;

import dev.portcullis.edge.ratelimit.RateLimiter;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.core.order.Ordered;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.RequestFilter;
import io.micronaut.http.annotation.ServerFilter;

/**
 * Answers 429 with Retry-After once a client address has used its allowance, before the request
 * is routed or forwarded. The health check is exempt: load balancers probe it from a few
 * addresses, and throttling them would take a healthy proxy out of rotation.
 */
@ServerFilter(ServerFilter.MATCH_ALL_PATTERN)
final class RateLimitFilter implements Ordered {

    private final RateLimiter limiter;

    RateLimitFilter(RateLimiter limiter) {
        this.limiter = limiter;
    }

    @RequestFilter
    @Nullable
    MutableHttpResponse<ErrorBody> limit(HttpRequest<?> request) {
        if (HealthController.PATH.equals(request.getPath())) {
            return null;
        }
        RateLimiter.Decision decision = limiter.tryAcquire(request.getRemoteAddress().getAddress());
        if (decision.allowed()) {
            return null;
        }
        return PublicError.TOO_MANY_REQUESTS.response()
                .header(HttpHeaders.RETRY_AFTER, Long.toString(decision.retryAfterSeconds()));
    }

    @Override
    public int getOrder() {
        // Inside SecurityHeadersFilter, so a 429 carries the security headers too.
        return HIGHEST_PRECEDENCE + 100;
    }
}
