package dev.portcullis.edge.http;

import io.micronaut.core.order.Ordered;
import io.micronaut.http.MutableHttpHeaders;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.ResponseFilter;
import io.micronaut.http.annotation.ServerFilter;

/**
 * Adds the security headers to every response, errors and rate-limit answers included. It is the
 * outermost filter, so nothing after it can drop them, and core cannot override them (they are not
 * in the response allowlist) except Cache-Control, which core may set for what it serves.
 *
 * <p>Two Content-Security-Policies: the pages (enrollment and MFA, marked by {@link PagesController}
 * with {@link #PAGE_ATTRIBUTE}) get {@link #PAGE_CONTENT_SECURITY_POLICY}, which lets them load
 * their own scripts and styles and call the API on this origin; everything else, core's JSON
 * answers and every error included, gets {@link #CONTENT_SECURITY_POLICY}, which allows nothing.
 */
@ServerFilter(ServerFilter.MATCH_ALL_PATTERN)
final class SecurityHeadersFilter implements Ordered {

    /** Nothing core serves (JSON) and no error needs scripts, styles or frames. */
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'";
    /**
     * The enrollment pages (enrollment/API.md): scripts, styles and fetch() only from this origin,
     * images from this origin or data: URLs (the QR codes), forms only to this origin, no
     * {@code <base>}, no framing. No 'unsafe-inline' and no third-party origin.
     */
    static final String PAGE_CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
            + "img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
    /** Response attribute (never a header) by which the pages controller asks for the page policy. */
    static final String PAGE_ATTRIBUTE = "dev.portcullis.edge.page";
    /** Two years, the value HSTS preload lists expect. */
    static final String STRICT_TRANSPORT_SECURITY = "max-age=63072000; includeSubDomains";

    @ResponseFilter
    void addSecurityHeaders(MutableHttpResponse<?> response) {
        MutableHttpHeaders headers = response.getHeaders();
        boolean page = response.getAttribute(PAGE_ATTRIBUTE).isPresent();
        headers.set("Content-Security-Policy", page ? PAGE_CONTENT_SECURITY_POLICY : CONTENT_SECURITY_POLICY);
        headers.set("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY);
        headers.set("X-Content-Type-Options", "nosniff");
        headers.set("Referrer-Policy", "no-referrer");
        headers.set("X-Frame-Options", "DENY");
        // No other site's window keeps a handle on ours, and no other site may embed what we serve.
        headers.set("Cross-Origin-Opener-Policy", "same-origin");
        headers.set("Cross-Origin-Resource-Policy", "same-origin");
        if (!headers.contains("Cache-Control")) {
            headers.set("Cache-Control", "no-store");
        }
    }

    @Override
    public int getOrder() {
        return HIGHEST_PRECEDENCE;
    }
}
