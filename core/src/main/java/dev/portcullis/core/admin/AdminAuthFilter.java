package dev.portcullis.core.admin;

import dev.portcullis.core.error.ErrorBody;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpMethod;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.RequestFilter;
import io.micronaut.http.annotation.ResponseFilter;
import io.micronaut.http.annotation.ServerFilter;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every admin API request except {@code GET /healthz} needs {@code Authorization: Bearer <admin token>},
 * including requests for paths that do not exist (no route discovery without a token). Every
 * authenticated call is logged with its caller and outcome, e.g.
 * {@code admin 'bootstrap' POST /api/v1/components -> 201}.
 */
@ServerFilter(ServerFilter.MATCH_ALL_PATTERN)
public final class AdminAuthFilter {

    public static final String CALLER_ATTRIBUTE = "portcullis.admin.caller";
    private static final Logger LOG = LoggerFactory.getLogger("dev.portcullis.core.admin.audit");
    private static final String BEARER = "Bearer ";

    private final AdminTokens tokens;

    public AdminAuthFilter(AdminTokens tokens) {
        this.tokens = tokens;
    }

    @RequestFilter
    @ExecuteOn(TaskExecutors.BLOCKING)
    @Nullable
    public HttpResponse<?> authenticate(HttpRequest<?> request) {
        if (isHealthCheck(request)) {
            return null;
        }
        Optional<String> header = request.getHeaders().getAuthorization();
        if (header.isEmpty() || !header.get().regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return reject(request, "admin token required (Authorization: Bearer <token>)", "no token");
        }
        Optional<AdminCaller> caller = tokens.authenticate(header.get().substring(BEARER.length()).strip());
        if (caller.isEmpty()) {
            return reject(request, "admin token rejected", "unknown or revoked token");
        }
        request.setAttribute(CALLER_ATTRIBUTE, caller.get());
        return null;
    }

    @ResponseFilter
    public void audit(HttpRequest<?> request, MutableHttpResponse<?> response) {
        request.getAttribute(CALLER_ATTRIBUTE, AdminCaller.class).ifPresent(caller ->
                LOG.info("admin '{}' {} {} -> {}", caller.name(), request.getMethodName(), request.getUri().getRawPath(),
                        response.code()));
    }

    private static boolean isHealthCheck(HttpRequest<?> request) {
        return request.getMethod() == HttpMethod.GET && "/healthz".equals(request.getUri().getRawPath());
    }

    private static HttpResponse<?> reject(HttpRequest<?> request, String message, String reason) {
        LOG.warn("admin <unauthenticated> {} {} -> 401 ({}) from {}", request.getMethodName(),
                request.getUri().getRawPath(), reason, request.getRemoteAddress().getAddress().getHostAddress());
        return HttpResponse.unauthorized()
                .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer")
                .contentType(MediaType.APPLICATION_JSON_TYPE)
                .body(new ErrorBody(message));
    }
}
