package dev.portcullis.edge.ratelimit;

import java.util.Objects;

/**
 * The two per-client buckets of the public side. Every public request except the health check
 * draws from exactly one of them:
 * <ul>
 *   <li>{@code api}: requests forwarded to core ({@code /api/}). Its size is core's setting
 *       (requests_per_minute_per_address), because core's work and core's brute-force limits are
 *       what it protects.</li>
 *   <li>{@code pages}: everything answered at the edge (the enrollment pages, their assets, and
 *       404s for paths that do not exist). Fixed at {@link #PAGES_REQUESTS_PER_MINUTE}.</li>
 * </ul>
 * Separate buckets keep loading the pages from eating into a user's API allowance (a page
 * load is four or five requests), and a scanner probing for paths that do not exist cannot use
 * up the API allowance of the users behind its address.
 */
public record RateLimits(RateLimiter api, RateLimiter pages) {

    /**
     * Serving a static page costs the proxy a memory copy and never reaches core; the pages hold
     * no secret and answer the same bytes for every token, so there is nothing to guess. The limit
     * exists to bound what one address can make the proxy send. A page load is four or five
     * requests (the page, its style sheet, the shared script, its own script and, on the enroll
     * page, the QR library), so 600 a minute is over a hundred page loads: enough for a whole office behind one NAT address
     * onboarding together, and small next to what a flood would need.
     */
    public static final int PAGES_REQUESTS_PER_MINUTE = 600;

    public RateLimits {
        Objects.requireNonNull(api, "api");
        Objects.requireNonNull(pages, "pages");
    }

    /** The API bucket as given (core adjusts it), the pages bucket at its fixed size. */
    public static RateLimits withApi(RateLimiter api) {
        return new RateLimits(api, new RateLimiter(PAGES_REQUESTS_PER_MINUTE));
    }
}
