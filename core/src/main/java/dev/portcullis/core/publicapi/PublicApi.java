package dev.portcullis.core.publicapi;

import com.google.protobuf.ByteString;
import dev.portcullis.core.enroll.EnrollmentEndpoints;
import dev.portcullis.core.link.ComponentRecord;
import dev.portcullis.core.link.PublicRequestHandler;
import dev.portcullis.core.tunnel.TunnelEndpoints;
import dev.portcullis.protocol.v1.Header;
import dev.portcullis.protocol.v1.ProxyRequest;
import dev.portcullis.protocol.v1.ProxyResponse;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Core's answers to public requests that edge proxies forward over the streams core opened:
 * {@code GET /api/v1/ping}; enrollment and password reset ({@code /api/v1/enroll/*},
 * {@code /api/v1/recovery/*}) and tunnel sessions ({@code /api/v1/tunnel/*}), which go to their
 * own handlers. Everything else is a neutral 404.
 */
public final class PublicApi implements PublicRequestHandler {

    private static final Logger LOG = LoggerFactory.getLogger(PublicApi.class);
    private static final Header JSON = Header.newBuilder().setName("content-type").setValue("application/json").build();
    private static final ProxyResponse PING = json(200, "{\"service\":\"portcullis\"}");
    private static final ProxyResponse NOT_FOUND = json(404, "{\"error\":\"not found\"}");
    private static final ProxyResponse INTERNAL_ERROR = json(500, "{\"error\":\"internal error\"}");

    private final PublicRequestHandler enrollment;
    private final PublicRequestHandler tunnel;

    /** Without the tunnel-session API: {@code /api/v1/tunnel/*} is a neutral 404. */
    public PublicApi(PublicRequestHandler enrollment) {
        this(enrollment, (request, edgeProxy) -> NOT_FOUND);
    }

    /**
     * @param enrollment answers {@code /api/v1/enroll/*} and {@code /api/v1/recovery/*}
     * @param tunnel     answers {@code /api/v1/tunnel/*}
     */
    public PublicApi(PublicRequestHandler enrollment, PublicRequestHandler tunnel) {
        this.enrollment = enrollment;
        this.tunnel = tunnel;
    }

    @Override
    public ProxyResponse handle(ProxyRequest request, ComponentRecord edgeProxy) {
        try {
            return route(request, edgeProxy);
        } catch (RuntimeException e) {
            LOG.error("public request via edge-proxy '{}' failed", edgeProxy.name(), e);
            return INTERNAL_ERROR;
        }
    }

    private ProxyResponse route(ProxyRequest request, ComponentRecord edgeProxy) {
        String path = request.getPath();
        int query = path.indexOf('?');
        if (query >= 0) {
            path = path.substring(0, query);
        }
        if ("GET".equals(request.getMethod()) && "/api/v1/ping".equals(path)) {
            return PING;
        }
        if (EnrollmentEndpoints.serves(path)) {
            return enrollment.handle(request, edgeProxy);
        }
        if (TunnelEndpoints.serves(path)) {
            return tunnel.handle(request, edgeProxy);
        }
        return NOT_FOUND;
    }

    private static ProxyResponse json(int status, String body) {
        return ProxyResponse.newBuilder()
                .setStatus(status)
                .addHeaders(JSON)
                .setBody(ByteString.copyFrom(body, StandardCharsets.UTF_8))
                .build();
    }
}
