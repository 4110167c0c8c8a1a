package dev.portcullis.edge.forward;

import java.util.Locale;
import java.util.Set;

/**
 * Which headers cross the proxy. Everything else stays at the edge: proxies' and load balancers'
 * headers, Authorization meant for other systems, Host, hop-by-hop headers.
 */
public final class HeaderAllowlist {

    /**
     * What core needs to answer a browser or the agent: content negotiation, language, the session
     * cookie, the two headers core's CSRF check reads (the browser's Origin and the page's
     * X-Portcullis-CSRF token; see enrollment/API.md), and the agent's signed device
     * authentication on {@code /api/v1/tunnel/*} (X-Portcullis-Device-Auth; see
     * client-agent/SESSION-API.md, "Device authentication"). The proxy carries that signature as
     * it is and never checks it: core verifies it, its clock window and its replay.
     */
    public static final Set<String> REQUEST = Set.of("content-type", "accept", "accept-language", "user-agent", "cookie",
            "origin", "x-portcullis-csrf", "x-portcullis-device-auth");
    /**
     * What core may say to a user; security headers are the proxy's own and cannot be overridden.
     * Retry-After tells a client when core's own limits (per token, per session) open again.
     */
    public static final Set<String> RESPONSE = Set.of("content-type", "set-cookie", "cache-control", "location", "retry-after");
    /** Bound on header values relayed per response; a real answer has a handful. */
    public static final int MAX_RESPONSE_HEADERS = 32;
    /** Bound on one relayed header value (a cookie is at most 4 KiB in browsers). */
    public static final int MAX_HEADER_VALUE_LENGTH = 8 * 1024;

    private HeaderAllowlist() {
    }

    public static boolean requestAllows(String name) {
        return REQUEST.contains(name.toLowerCase(Locale.ROOT));
    }

    /** Allowlisted and safe to write: no control characters (no header splitting), bounded length. */
    public static boolean responseAllows(String name, String value) {
        return RESPONSE.contains(name.toLowerCase(Locale.ROOT)) && value.length() <= MAX_HEADER_VALUE_LENGTH
                && value.chars().noneMatch(c -> c < 0x20 && c != '\t' || c == 0x7f);
    }
}
