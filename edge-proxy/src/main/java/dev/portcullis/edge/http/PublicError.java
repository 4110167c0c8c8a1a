package dev.portcullis.edge.http;

import dev.portcullis.edge.forward.ForwardingException;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every error the public side answers, each with a fixed neutral message. This is the one place
 * failures become HTTP: no exception text, stack trace or detail from core ever reaches a user.
 */
public enum PublicError {
    BAD_REQUEST(HttpStatus.BAD_REQUEST, "bad request"),
    NOT_FOUND(HttpStatus.NOT_FOUND, "not found"),
    METHOD_NOT_ALLOWED(HttpStatus.METHOD_NOT_ALLOWED, "method not allowed"),
    PAYLOAD_TOO_LARGE(HttpStatus.REQUEST_ENTITY_TOO_LARGE, "request too large"),
    UNSUPPORTED_MEDIA_TYPE(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported media type"),
    TOO_MANY_REQUESTS(HttpStatus.TOO_MANY_REQUESTS, "too many requests"),
    CLIENT_ERROR(HttpStatus.BAD_REQUEST, "request not accepted"),
    INTERNAL(HttpStatus.INTERNAL_SERVER_ERROR, "internal error"),
    BAD_GATEWAY(HttpStatus.BAD_GATEWAY, "bad gateway"),
    SERVICE_UNAVAILABLE(HttpStatus.SERVICE_UNAVAILABLE, "service temporarily unavailable"),
    GATEWAY_TIMEOUT(HttpStatus.GATEWAY_TIMEOUT, "gateway timeout");

    private static final Logger LOG = LoggerFactory.getLogger(PublicError.class);

    private final HttpStatus status;
    private final String message;

    PublicError(HttpStatus status, String message) {
        this.status = status;
        this.message = message;
    }

    public HttpStatus status() {
        return status;
    }

    public String message() {
        return message;
    }

    public MutableHttpResponse<ErrorBody> response() {
        return HttpResponse.<ErrorBody>status(status).contentType(MediaType.APPLICATION_JSON_TYPE).body(new ErrorBody(message));
    }

    /** The neutral error for a status the framework produced (unknown route, wrong method, body too large...). */
    public static PublicError forStatus(int code) {
        for (PublicError error : values()) {
            if (error.status.getCode() == code && error != CLIENT_ERROR) {
                return error;
            }
        }
        return code >= 400 && code < 500 ? CLIENT_ERROR : INTERNAL;
    }

    /** Maps why forwarding failed; anything unexpected is logged here, once, and answered 500. */
    public static PublicError forFailure(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof ForwardingException forwarding) {
            return switch (forwarding.reason()) {
                case CORE_UNAVAILABLE, SATURATED -> SERVICE_UNAVAILABLE;
                case CORE_TIMEOUT -> GATEWAY_TIMEOUT;
                case BAD_ANSWER -> BAD_GATEWAY;
            };
        }
        LOG.error("unexpected failure while forwarding a request", cause);
        return INTERNAL;
    }
}
