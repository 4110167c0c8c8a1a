package dev.portcullis.core.enroll;

import dev.portcullis.core.component.ComponentRegistry;
import dev.portcullis.core.component.PublicEdge;
import dev.portcullis.core.error.ForbiddenException;
import dev.portcullis.core.link.ComponentRecord;
import dev.portcullis.protocol.v1.Header;
import dev.portcullis.protocol.v1.ProxyRequest;
import java.util.Locale;
import java.util.Optional;

/**
 * Reading a public request as an edge-proxy forwarded it, the same way for every public API of
 * core (enrollment, password reset, tunnel sessions): its headers (names arrive lower-case), its
 * path without the query, whether the body is JSON, and the public origin of the proxy that
 * forwarded it, which a browser's {@code Origin} must equal.
 */
public final class PublicRequests {

    /** The edge-proxy bounds bodies already; core checks again: no public call needs more than a WebAuthn answer. */
    public static final int MAX_BODY_BYTES = 64 * 1024;

    private PublicRequests() {
    }

    /** The first header of that name (case-insensitive), stripped. */
    public static Optional<String> header(ProxyRequest request, String name) {
        for (Header header : request.getHeadersList()) {
            if (name.equalsIgnoreCase(header.getName())) {
                return Optional.of(header.getValue().strip());
            }
        }
        return Optional.empty();
    }

    /** The request's path without its query. */
    public static String pathOf(ProxyRequest request) {
        String path = request.getPath();
        int query = path.indexOf('?');
        return query < 0 ? path : path.substring(0, query);
    }

    /** Whether the request says its body is {@code application/json} (parameters such as charset allowed). */
    public static boolean isJson(ProxyRequest request) {
        Optional<String> contentType = header(request, "content-type");
        if (contentType.isEmpty()) {
            return false;
        }
        String type = contentType.get().toLowerCase(Locale.ROOT);
        int semicolon = type.indexOf(';');
        return (semicolon < 0 ? type : type.substring(0, semicolon)).strip().equals("application/json");
    }

    /** The public origin ({@code https://host[:port]}) an admin set for the forwarding edge-proxy, if any. */
    public static Optional<String> publicOrigin(ComponentRegistry registry, ComponentRecord edgeProxy) {
        return registry.publicEdge(edgeProxy.id()).flatMap(PublicEdge::publicOrigin);
    }

    /**
     * Refuses (403) a request whose {@code Origin} header names another site than the proxy's public
     * origin. A request without the header (an agent, not a browser) passes.
     */
    public static void requireSameOrigin(ProxyRequest request, String publicOrigin) {
        Optional<String> requestOrigin = header(request, "origin");
        if (requestOrigin.isPresent() && !requestOrigin.get().equals(publicOrigin)) {
            throw new ForbiddenException("This request came from another site and was refused.");
        }
    }
}
