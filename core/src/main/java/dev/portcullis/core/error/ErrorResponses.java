package dev.portcullis.core.error;

import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Produces;
import io.micronaut.http.server.exceptions.ExceptionHandler;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Maps every {@link PortcullisException} to its status and {@code {"error": publicMessage}}; the cause stays in the log. */
@Singleton
@Produces(MediaType.APPLICATION_JSON)
public final class ErrorResponses implements ExceptionHandler<PortcullisException, HttpResponse<ErrorBody>> {

    private static final Logger LOG = LoggerFactory.getLogger(ErrorResponses.class);

    @Override
    @SuppressWarnings("rawtypes") // the ExceptionHandler interface declares a raw HttpRequest
    public HttpResponse<ErrorBody> handle(HttpRequest request, PortcullisException exception) {
        if (exception.getCause() != null) {
            LOG.warn("{} {} -> {}: {}", request.getMethodName(), request.getUri().getRawPath(), exception.httpStatus(),
                    exception.publicMessage(), exception.getCause());
        }
        return HttpResponse.<ErrorBody>status(HttpStatus.valueOf(exception.httpStatus()))
                .contentType(MediaType.APPLICATION_JSON_TYPE)
                .body(new ErrorBody(exception.publicMessage()));
    }
}
