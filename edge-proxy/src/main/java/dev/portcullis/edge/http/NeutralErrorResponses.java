package dev.portcullis.edge.http;

import io.micronaut.context.annotation.Replaces;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.server.exceptions.response.ErrorContext;
import io.micronaut.http.server.exceptions.response.ErrorResponseProcessor;
import jakarta.inject.Singleton;

/**
 * Replaces the framework's error bodies (which echo exception messages and routes) with the
 * neutral {@link PublicError} for the status. Security headers are added by {@link SecurityHeadersFilter}.
 */
@Singleton
@Replaces(ErrorResponseProcessor.class)
final class NeutralErrorResponses implements ErrorResponseProcessor<ErrorBody> {

    @Override
    public MutableHttpResponse<ErrorBody> processResponse(ErrorContext errorContext, MutableHttpResponse<?> response) {
        PublicError error = PublicError.forStatus(response.code());
        return response.contentType(MediaType.APPLICATION_JSON_TYPE).body(new ErrorBody(error.message()));
    }
}
