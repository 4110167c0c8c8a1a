package dev.portcullis.core.error;

import io.micronaut.context.annotation.Replaces;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.server.exceptions.response.ErrorContext;
import io.micronaut.http.server.exceptions.response.ErrorResponseProcessor;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Errors Micronaut raises itself (no route, wrong method, unreadable JSON, body too large...).
 * Its own messages can echo input or name internal classes, so each status gets a fixed message
 * in the one error shape {@code {"error": "..."}}; the framework's detail goes to the debug log.
 */
@Singleton
@Replaces(ErrorResponseProcessor.class)
public final class FrameworkErrors implements ErrorResponseProcessor<ErrorBody> {

    private static final Logger LOG = LoggerFactory.getLogger(FrameworkErrors.class);

    @Override
    public MutableHttpResponse<ErrorBody> processResponse(ErrorContext context, MutableHttpResponse<?> response) {
        int status = response.code();
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} {} -> {}: {}", context.getRequest().getMethodName(), context.getRequest().getUri().getRawPath(),
                    status, context.getErrors().stream().map(e -> e.getMessage()).toList());
        }
        return response.contentType(MediaType.APPLICATION_JSON_TYPE).body(new ErrorBody(messageFor(status)));
    }

    static String messageFor(int status) {
        return switch (status) {
            case 400 -> "malformed request";
            case 401 -> "admin token required";
            case 403 -> "forbidden";
            case 404 -> "not found";
            case 405 -> "method not allowed";
            case 406 -> "not acceptable";
            case 413 -> "request body too large";
            case 415 -> "unsupported media type (send application/json)";
            default -> status >= 500 ? "internal error" : "request failed";
        };
    }
}
