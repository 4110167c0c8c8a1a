package dev.portcullis.core.component;

import dev.portcullis.core.error.BadRequestException;
import dev.portcullis.core.location.CidrField;
import dev.portcullis.core.location.LocationName;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What an admin can set on a component. Edge proxies use the public origin, the per-address rate
 * limit and the notice; gateways use the location, the notice and their tunnel settings.
 *
 * @param publicOrigin                  origin users see (edge-proxy), e.g. {@code https://access.example.com}
 * @param requestsPerMinutePerAddress   public requests per minute a single client address may make (edge-proxy)
 * @param location                      the WireGuard location this gateway serves (gateway)
 * @param notice                        text shown on public pages (edge-proxy) or the health endpoint (gateway)
 * @param tunnelAddresses               the gateway's own addresses on the tunnel network, canonical CIDRs (gateway)
 * @param mtu                           the gateway's WireGuard interface MTU, 0 for its default (gateway)
 * @param deviceEndpointHost            where devices dial the gateway, if not at the host core dials (gateway)
 */
public record ComponentSettings(Optional<String> publicOrigin, int requestsPerMinutePerAddress,
                                Optional<String> location, String notice, List<String> tunnelAddresses, int mtu,
                                Optional<String> deviceEndpointHost) {

    /** A human on a shared NAT clicks and loads pages; 120 a minute serves them and still slows a script down. */
    public static final int DEFAULT_REQUESTS_PER_MINUTE = 120;
    /**
     * Above this the limit stops limiting anything; below 1 nothing would be served. Equal to the
     * edge-proxy's own bound (EdgeSettings.MAX_REQUESTS_PER_MINUTE): a larger value would be a
     * configuration the proxy refuses, leaving it on the previous one.
     */
    public static final int MAX_REQUESTS_PER_MINUTE = 60_000;
    /** A notice is a sentence or two on a page, not a document; it also travels in every config push. */
    public static final int MAX_NOTICE_CHARS = 500;
    /** Longer than any sensible origin; bounds what lands in pages and WebAuthn's RP origin. */
    static final int MAX_ORIGIN_CHARS = 255;
    /** An IPv4 and an IPv6 address, with room for a second of each during a renumbering. */
    public static final int MAX_TUNNEL_ADDRESSES = 4;
    /** IPv6's minimum link MTU: below it the tunnel cannot carry IPv6 at all. */
    public static final int MIN_MTU = 1280;
    /** Jumbo frames; nothing larger exists on real links. */
    public static final int MAX_MTU = 9000;

    public ComponentSettings {
        tunnelAddresses = List.copyOf(tunnelAddresses);
    }

    public static ComponentSettings defaults() {
        return new ComponentSettings(Optional.empty(), DEFAULT_REQUESTS_PER_MINUTE, Optional.empty(), "", List.of(), 0,
                Optional.empty());
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
        return LocationName.valid(location);
    }

    /**
     * The gateway's interface addresses: each an address with its tunnel prefix (e.g. 10.80.0.1/24;
     * host bits are the point here), canonical, no duplicates, at most {@link #MAX_TUNNEL_ADDRESSES}.
     */
    public static List<String> validTunnelAddresses(List<String> addresses) {
        if (addresses == null) {
            return List.of();
        }
        if (addresses.size() > MAX_TUNNEL_ADDRESSES) {
            throw new BadRequestException("a gateway has at most " + MAX_TUNNEL_ADDRESSES + " tunnel addresses");
        }
        LinkedHashSet<String> canonical = new LinkedHashSet<>();
        for (String address : addresses) {
            canonical.add(CidrField.parse(address, "tunnel address").toString());
        }
        return List.copyOf(canonical);
    }

    public static int validMtu(int mtu) {
        if (mtu != 0 && (mtu < MIN_MTU || mtu > MAX_MTU)) {
            throw new BadRequestException("mtu must be 0 (the default) or between " + MIN_MTU + " and " + MAX_MTU);
        }
        return mtu;
    }

    /**
     * A device endpoint host: an IPv4 or IPv6 literal or a DNS name, as devices will dial it;
     * empty means "the host core dials" (returned as empty).
     */
    public static Optional<String> validDeviceEndpointHost(String host) {
        String value = host == null ? "" : host.strip();
        if (value.isEmpty()) {
            return Optional.empty();
        }
        if (value.startsWith("[") && value.endsWith("]")) {
            value = value.substring(1, value.length() - 1);
        }
        boolean ipv6 = value.indexOf(':') >= 0 && value.matches("[0-9A-Fa-f:.]+");
        boolean name = value.length() <= 253 && value.matches("(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");
        if (ipv6) {
            try {
                return Optional.of(java.net.InetAddress.getByName(value).getHostAddress());
            } catch (java.net.UnknownHostException e) {
                // not an address after all: refused below
            }
        } else if (name) {
            return Optional.of(value.toLowerCase(Locale.ROOT));
        }
        throw new BadRequestException("device endpoint must be a host name or an IP address devices can reach, "
                + "e.g. vpn.example.com or 203.0.113.7 (no port: the gateway reports its own)");
    }

    /**
     * A partial update: empty fields stay as they are ({@code deviceEndpointHost} present and empty
     * clears it).
     */
    public record Change(Optional<String> publicOrigin, Optional<Integer> requestsPerMinutePerAddress,
                         Optional<String> notice, Optional<String> location, Optional<List<String>> tunnelAddresses,
                         Optional<Integer> mtu, Optional<String> deviceEndpointHost) {

        public Change(Optional<String> publicOrigin, Optional<Integer> requestsPerMinutePerAddress,
                      Optional<String> notice, Optional<String> location) {
            this(publicOrigin, requestsPerMinutePerAddress, notice, location, Optional.empty(), Optional.empty());
        }

        public Change(Optional<String> publicOrigin, Optional<Integer> requestsPerMinutePerAddress,
                      Optional<String> notice, Optional<String> location, Optional<List<String>> tunnelAddresses,
                      Optional<Integer> mtu) {
            this(publicOrigin, requestsPerMinutePerAddress, notice, location, tunnelAddresses, mtu, Optional.empty());
        }

        public boolean isEmpty() {
            return publicOrigin.isEmpty() && requestsPerMinutePerAddress.isEmpty() && notice.isEmpty()
                    && location.isEmpty() && tunnelAddresses.isEmpty() && mtu.isEmpty() && deviceEndpointHost.isEmpty();
        }
    }
}
