package dev.portcullis.edge.http;

import dev.portcullis.edge.forward.PublicPaths;
import io.micronaut.core.order.Ordered;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.ResponseFilter;
import io.micronaut.http.annotation.ServerFilter;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per answered request on the logger {@value #LOGGER}, at DEBUG (off unless an operator
 * turns it on): method, path, status, client address. The path is {@link PublicPaths#forLog}:
 * no query string, and for invite and reset links no token. Headers and bodies are never logged.
 */
@ServerFilter(ServerFilter.MATCH_ALL_PATTERN)
final class AccessLogFilter implements Ordered {

    static final String LOGGER = "dev.portcullis.edge.access";
    private static final Logger LOG = LoggerFactory.getLogger(LOGGER);

    @ResponseFilter
    void log(HttpRequest<?> request, MutableHttpResponse<?> response) {
        if (!LOG.isDebugEnabled()) {
            return;
        }
        InetSocketAddress remote = request.getRemoteAddress();
        String client = remote.getAddress() != null ? remote.getAddress().getHostAddress() : "-";
        LOG.debug("{} {} {} {}", client, request.getMethodName(), PublicPaths.forLog(request.getUri().getRawPath()), response.code());
    }

    @Override
    public int getOrder() {
        // Inside SecurityHeadersFilter, outside everything that can answer early (rate limit, path checks).
        return HIGHEST_PRECEDENCE + 50;
    }
}
