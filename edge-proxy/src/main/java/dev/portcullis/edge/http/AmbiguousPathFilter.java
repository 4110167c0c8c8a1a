package dev.portcullis.edge.http;

import dev.portcullis.edge.forward.PublicPaths;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.core.order.Ordered;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.RequestFilter;
import io.micronaut.http.annotation.ServerFilter;

/**
 * Answers 400 to a path that could mean another path once decoded (dot segments, encoded
 * separators, control characters, broken escapes), whatever it starts with, before routing:
 * neither the pages nor core ever see one. The forwarding controller checks again on its own.
 */
@ServerFilter(ServerFilter.MATCH_ALL_PATTERN)
final class AmbiguousPathFilter implements Ordered {

    @RequestFilter
    @Nullable
    MutableHttpResponse<ErrorBody> refuse(HttpRequest<?> request) {
        String rawPath = request.getUri().getRawPath();
        if (rawPath == null || PublicPaths.isAmbiguous(rawPath)) {
            return PublicError.BAD_REQUEST.response();
        }
        return null;
    }

    @Override
    public int getOrder() {
        // After the rate limit: sending nonsense paths costs a client its allowance like anything else.
        return HIGHEST_PRECEDENCE + 200;
    }
}
