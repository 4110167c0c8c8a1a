package dev.portcullis.edge.http;

import dev.portcullis.edge.forward.PublicPaths;
import dev.portcullis.edge.ratelimit.RateLimiter;
import dev.portcullis.edge.ratelimit.RateLimits;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.core.order.Ordered;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.RequestFilter;
import io.micronaut.http.annotation.ServerFilter;

/**
 * Answers 429 with Retry-After once a client address has used its allowance, before the request
 * is routed or forwarded. Every public path counts: requests for core against the API bucket,
 * everything answered at the edge (pages, assets, unknown paths) against the pages bucket (see
 * {@link RateLimits}). The health check is exempt: load balancers probe it from a few addresses,
 * and throttling them would take a healthy proxy out of rotation.
 */
@ServerFilter(ServerFilter.MATCH_ALL_PATTERN)
final class RateLimitFilter implements Ordered {

    private final RateLimits limits;

    RateLimitFilter(RateLimits limits) {
        this.limits = limits;
    }

    @RequestFilter
    @Nullable
    MutableHttpResponse<ErrorBody> limit(HttpRequest<?> request) {
        String rawPath = request.getUri().getRawPath() == null ? "" : request.getUri().getRawPath();
        if (HealthController.PATH.equals(rawPath)) {
            return null;
        }
        RateLimiter bucket = PublicPaths.isForwarded(rawPath) ? limits.api() : limits.pages();
        RateLimiter.Decision decision = bucket.tryAcquire(request.getRemoteAddress().getAddress());
        if (decision.allowed()) {
            return null;
        }
        return PublicError.TOO_MANY_REQUESTS.response()
                .header(HttpHeaders.RETRY_AFTER, Long.toString(decision.retryAfterSeconds()));
    }

    @Override
    public int getOrder() {
        // Inside SecurityHeadersFilter and AccessLogFilter, so a 429 carries the security headers and is logged.
        return HIGHEST_PRECEDENCE + 100;
    }
}
