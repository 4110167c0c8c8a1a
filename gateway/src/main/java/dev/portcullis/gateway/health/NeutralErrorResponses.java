package dev.portcullis.gateway.health;

import io.micronaut.context.annotation.Replaces;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.server.exceptions.response.ErrorContext;
import io.micronaut.http.server.exceptions.response.ErrorResponseProcessor;
import jakarta.inject.Singleton;

/** Replaces the framework's error bodies (which echo exception messages) with a neutral sentence per status. */
@Singleton
@Replaces(ErrorResponseProcessor.class)
final class NeutralErrorResponses implements ErrorResponseProcessor<ErrorBody> {

    @Override
    public MutableHttpResponse<ErrorBody> processResponse(ErrorContext errorContext, MutableHttpResponse<?> response) {
        int code = response.code();
        String message;
        if (code == HttpStatus.NOT_FOUND.getCode()) {
            message = "not found";
        } else if (code == HttpStatus.METHOD_NOT_ALLOWED.getCode()) {
            message = "method not allowed";
        } else if (code >= 400 && code < 500) {
            message = "request not accepted";
        } else {
            message = "internal error";
        }
        return response.contentType(MediaType.APPLICATION_JSON_TYPE).body(new ErrorBody(message));
    }
}
