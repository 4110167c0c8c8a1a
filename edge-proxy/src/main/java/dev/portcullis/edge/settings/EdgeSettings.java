package dev.portcullis.edge.settings;

import dev.portcullis.protocol.link.ComponentHandler.ConfigRejectedException;
import dev.portcullis.protocol.v1.EdgeProxySettings;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Objects;
import java.util.Optional;

/**
 * The edge-proxy's configuration as core last sent it, validated once, at the edge of this module.
 *
 * @param version                     the configuration version (0 before core sent any)
 * @param publicOrigin                the origin users see, e.g. {@code https://access.example.com}
 * @param requestsPerMinutePerAddress the per-client-address rate limit on public endpoints
 * @param notice                      text for public pages; empty for none
 */
public record EdgeSettings(long version, Optional<URI> publicOrigin, int requestsPerMinutePerAddress, String notice) {

    /** Served until core sends a configuration: enough for a person, little for a script. */
    public static final int DEFAULT_REQUESTS_PER_MINUTE = 120;
    /** 1,000 requests a second from one address no longer protects core; a larger value is a typo. */
    public static final int MAX_REQUESTS_PER_MINUTE = 60_000;
    /** A notice is a sentence or two on a page, not a document. */
    public static final int MAX_NOTICE_LENGTH = 1_000;

    public EdgeSettings {
        Objects.requireNonNull(publicOrigin, "publicOrigin");
        Objects.requireNonNull(notice, "notice");
        if (requestsPerMinutePerAddress < 1 || requestsPerMinutePerAddress > MAX_REQUESTS_PER_MINUTE) {
            throw new IllegalArgumentException("requests per minute out of range");
        }
    }

    public static EdgeSettings defaults() {
        return new EdgeSettings(0, Optional.empty(), DEFAULT_REQUESTS_PER_MINUTE, "");
    }

    /** Maps core's settings; refuses what this proxy cannot serve with a message safe to send back to core. */
    public static EdgeSettings fromProto(long version, EdgeProxySettings proto) throws ConfigRejectedException {
        int perMinute = proto.getRequestsPerMinutePerAddress();
        if (perMinute == 0) {
            // proto3 cannot tell "unset" from 0, and 0 would lock every user out: take the default.
            perMinute = DEFAULT_REQUESTS_PER_MINUTE;
        }
        if (perMinute < 0 || perMinute > MAX_REQUESTS_PER_MINUTE) {
            throw new ConfigRejectedException("requests_per_minute_per_address must be between 1 and "
                    + MAX_REQUESTS_PER_MINUTE);
        }
        if (proto.getNotice().length() > MAX_NOTICE_LENGTH) {
            throw new ConfigRejectedException("notice is longer than " + MAX_NOTICE_LENGTH + " characters");
        }
        return new EdgeSettings(version, origin(proto.getPublicOrigin()), perMinute, proto.getNotice());
    }

    /** Same settings, new version (an update that changed nothing for this proxy). */
    public EdgeSettings withVersion(long newVersion) {
        return new EdgeSettings(newVersion, publicOrigin, requestsPerMinutePerAddress, notice);
    }

    private static Optional<URI> origin(String text) throws ConfigRejectedException {
        if (text.isEmpty()) {
            return Optional.empty();
        }
        try {
            URI uri = new URI(text);
            boolean bare = uri.getRawPath() == null || uri.getRawPath().isEmpty() || "/".equals(uri.getRawPath());
            if (!"https".equals(uri.getScheme()) || uri.getHost() == null || uri.getRawUserInfo() != null
                    || !bare || uri.getRawQuery() != null || uri.getRawFragment() != null) {
                throw new ConfigRejectedException("public_origin must be an https origin such as https://access.example.com");
            }
            return Optional.of(uri);
        } catch (URISyntaxException e) {
            throw new ConfigRejectedException("public_origin is not a valid URI");
        }
    }
}
