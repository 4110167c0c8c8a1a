package dev.portcullis.core.link;

import dev.portcullis.protocol.v1.ProxyRequest;
import dev.portcullis.protocol.v1.ProxyResponse;

/**
 * Answers a public request that an edge-proxy forwarded over a stream core opened.
 * Core decides; the proxy only carries the answer back.
 */
@FunctionalInterface
public interface PublicRequestHandler {

    /** Must not throw; errors become a neutral response. The request_id is copied by the caller. */
    ProxyResponse handle(ProxyRequest request, ComponentRecord edgeProxy);
}
