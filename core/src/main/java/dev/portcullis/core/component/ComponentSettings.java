package dev.portcullis.core.component;

import dev.portcullis.core.error.BadRequestException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What an admin can set on a component. Edge proxies use the public origin, the per-address rate
 * limit and the notice; gateways use the location and the notice.
 *
 * @param publicOrigin                  origin users see (edge-proxy), e.g. {@code https://access.example.com}
 * @param requestsPerMinutePerAddress   public requests per minute a single client address may make (edge-proxy)
 * @param location                      the WireGuard location this gateway serves (gateway)
 * @param notice                        text shown on public pages (edge-proxy) or the health endpoint (gateway)
 */
public record ComponentSettings(Optional<String> publicOrigin, int requestsPerMinutePerAddress,
                                Optional<String> location, String notice) {

    /** A human on a shared NAT clicks and loads pages; 120 a minute serves them and still slows a script down. */
    public static final int DEFAULT_REQUESTS_PER_MINUTE = 120;
    /** Above this the limit stops limiting anything; below 1 nothing would be served. */
    public static final int MAX_REQUESTS_PER_MINUTE = 100_000;
    /** A notice is a sentence or two on a page, not a document; it also travels in every config push. */
    public static final int MAX_NOTICE_CHARS = 500;
    /** Longer than any sensible origin; bounds what lands in pages and WebAuthn's RP origin. */
    static final int MAX_ORIGIN_CHARS = 255;
    private static final Pattern LOCATION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}");

    public static ComponentSettings defaults() {
        return new ComponentSettings(Optional.empty(), DEFAULT_REQUESTS_PER_MINUTE, Optional.empty(), "");
    }

    /**
     * Checks an origin and returns it normalized ({@code scheme://host[:port]}, lower-case).
     * Only https, except plain http on localhost for local development.
     */
    public static String validOrigin(String origin) {
        if (origin == null || origin.isBlank() || origin.length() > MAX_ORIGIN_CHARS) {
            throw new BadRequestException("public origin must be an https URL of at most " + MAX_ORIGIN_CHARS + " characters");
        }
        URI uri;
        try {
            uri = new URI(origin.strip());
        } catch (URISyntaxException e) {
            throw new BadRequestException("public origin is not a valid URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
        boolean bare = uri.getRawUserInfo() == null && uri.getRawQuery() == null && uri.getRawFragment() == null
                && (uri.getRawPath() == null || uri.getRawPath().isEmpty() || uri.getRawPath().equals("/"));
        boolean allowedScheme = scheme.equals("https") || (scheme.equals("http") && host.equals("localhost"));
        if (host.isEmpty() || !bare || !allowedScheme) {
            throw new BadRequestException("public origin must look like https://access.example.com "
                    + "(http only for http://localhost), without path, query or credentials");
        }
        return scheme + "://" + host + (uri.getPort() == -1 ? "" : ":" + uri.getPort());
    }

    public static int validRateLimit(int requestsPerMinute) {
        if (requestsPerMinute < 1 || requestsPerMinute > MAX_REQUESTS_PER_MINUTE) {
            throw new BadRequestException("rate limit must be between 1 and " + MAX_REQUESTS_PER_MINUTE + " requests per minute");
        }
        return requestsPerMinute;
    }

    public static String validNotice(String notice) {
        if (notice == null) {
            return "";
        }
        if (notice.length() > MAX_NOTICE_CHARS) {
            throw new BadRequestException("notice must be at most " + MAX_NOTICE_CHARS + " characters");
        }
        if (notice.chars().anyMatch(c -> Character.isISOControl(c) && c != '\n')) {
            throw new BadRequestException("notice must not contain control characters");
        }
        return notice;
    }

    public static String validLocation(String location) {
        if (location == null || !LOCATION.matcher(location).matches()) {
            throw new BadRequestException("location must be 1 to 63 letters, digits, spaces, '.', '_' or '-'");
        }
        return location;
    }

    /**
     * A partial update: empty fields stay as they are.
     */
    public record Change(Optional<String> publicOrigin, Optional<Integer> requestsPerMinutePerAddress,
                         Optional<String> notice, Optional<String> location) {

        public boolean isEmpty() {
            return publicOrigin.isEmpty() && requestsPerMinutePerAddress.isEmpty() && notice.isEmpty()
                    && location.isEmpty();
        }
    }
}
