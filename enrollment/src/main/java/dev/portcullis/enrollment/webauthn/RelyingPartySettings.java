package dev.portcullis.enrollment.webauthn;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Who the relying party is: the RP ID (a host name the credentials are bound to), the name an
 * authenticator shows, and the exact origins the browser pages are served from (the edge-proxies'
 * public origins). Validated on construction; origins are normalised (lower case, default port
 * dropped) because the browser reports them that way and Yubico compares them exactly.
 *
 * @param rpId    a DNS host name such as {@code vpn.example.com} (not an IP address, no port)
 * @param rpName  a short human-readable name, e.g. {@code Portcullis}
 * @param origins {@code https://} origins whose host is the RP ID or a subdomain of it; for local
 *                development only, {@code http://localhost[:port]} with RP ID {@code localhost}
 */
public record RelyingPartySettings(String rpId, String rpName, Set<String> origins) {

    /** Longest RP ID: the DNS limit for a host name. */
    static final int MAX_RP_ID_LENGTH = 253;
    /** Longest RP name: authenticators show it on small screens; 64 is what CTAP2 lets them truncate to. */
    static final int MAX_RP_NAME_LENGTH = 64;
    /** Most origins: one per edge-proxy public origin; a few dozen is already a very large deployment. */
    static final int MAX_ORIGINS = 64;
    /** Longest origin text: scheme, a maximal host name and a port fit well within it. */
    static final int MAX_ORIGIN_LENGTH = 300;

    private static final Pattern LABEL = Pattern.compile("[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?");
    private static final String LOCALHOST = "localhost";

    public RelyingPartySettings {
        rpId = validRpId(rpId);
        rpName = validRpName(rpName);
        origins = validOrigins(origins, rpId);
    }

    private static String validRpId(String rpId) {
        if (rpId == null || rpId.isEmpty() || rpId.length() > MAX_RP_ID_LENGTH) {
            throw new IllegalArgumentException("rpId must be a host name of 1 to " + MAX_RP_ID_LENGTH + " characters");
        }
        String lower = rpId.toLowerCase(Locale.ROOT);
        String[] labels = lower.split("\\.", -1);
        for (String label : labels) {
            if (!LABEL.matcher(label).matches()) {
                throw new IllegalArgumentException("rpId must be a host name (letters, digits and dashes between dots), without scheme or port: " + rpId);
            }
        }
        // A numeric last label means an IP address, which browsers do not accept as an RP ID.
        if (labels[labels.length - 1].chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("rpId must be a host name, not an IP address: " + rpId);
        }
        return lower;
    }

    private static String validRpName(String rpName) {
        if (rpName == null || rpName.isBlank() || rpName.length() > MAX_RP_NAME_LENGTH) {
            throw new IllegalArgumentException("rpName must be 1 to " + MAX_RP_NAME_LENGTH + " characters");
        }
        return rpName.strip();
    }

    private static Set<String> validOrigins(Set<String> origins, String rpId) {
        if (origins == null || origins.isEmpty() || origins.size() > MAX_ORIGINS) {
            throw new IllegalArgumentException("origins must list 1 to " + MAX_ORIGINS + " origins");
        }
        Set<String> normalised = new LinkedHashSet<>();
        for (String origin : origins) {
            normalised.add(validOrigin(origin, rpId));
        }
        return Set.copyOf(normalised);
    }

    private static String validOrigin(String origin, String rpId) {
        if (origin == null || origin.isEmpty() || origin.length() > MAX_ORIGIN_LENGTH) {
            throw new IllegalArgumentException("an origin must be 1 to " + MAX_ORIGIN_LENGTH + " characters");
        }
        URI uri;
        try {
            uri = new URI(origin);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not an origin: " + origin);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
        boolean bare = uri.getRawUserInfo() == null && uri.getRawQuery() == null && uri.getRawFragment() == null
                && (uri.getRawPath() == null || uri.getRawPath().isEmpty());
        if (!bare || host.isEmpty()) {
            throw new IllegalArgumentException("an origin is scheme://host[:port] with nothing after it: " + origin);
        }
        boolean https = scheme.equals("https");
        boolean devLocalhost = scheme.equals("http") && host.equals(LOCALHOST);
        if (!https && !devLocalhost) {
            throw new IllegalArgumentException("origins must use https (http only for localhost in development): " + origin);
        }
        if (!host.equals(rpId) && !host.endsWith("." + rpId)) {
            throw new IllegalArgumentException("origin " + origin + " is not on the RP ID " + rpId + " or a subdomain of it");
        }
        int port = uri.getPort();
        boolean defaultPort = port == -1 || (https && port == 443) || (!https && port == 80);
        return scheme + "://" + host + (defaultPort ? "" : ":" + port);
    }
}
