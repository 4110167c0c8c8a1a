package dev.portcullis.gateway.health;

import io.micronaut.core.order.Ordered;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.ResponseFilter;
import io.micronaut.http.annotation.ServerFilter;

/** Health answers are live state: never cached, never sniffed into something else. */
@ServerFilter(ServerFilter.MATCH_ALL_PATTERN)
final class NoStoreFilter implements Ordered {

    @ResponseFilter
    void addHeaders(MutableHttpResponse<?> response) {
        response.getHeaders().set("Cache-Control", "no-store");
        response.getHeaders().set("X-Content-Type-Options", "nosniff");
    }

    @Override
    public int getOrder() {
        return HIGHEST_PRECEDENCE;
    }
}
