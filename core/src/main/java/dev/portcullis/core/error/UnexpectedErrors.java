package dev.portcullis.core.error;

import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Produces;
import io.micronaut.http.server.exceptions.ExceptionHandler;
import jakarta.inject.Singleton;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Any exception nobody anticipated: the caller gets {@code 500 {"error": "internal error (ref …)"}},
 * the log gets the stack trace under the same reference. Never SQL, stack traces or key material in the response.
 */
@Singleton
@Produces(MediaType.APPLICATION_JSON)
public final class UnexpectedErrors implements ExceptionHandler<Exception, HttpResponse<ErrorBody>> {

    private static final Logger LOG = LoggerFactory.getLogger(UnexpectedErrors.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    @Override
    @SuppressWarnings("rawtypes") // the ExceptionHandler interface declares a raw HttpRequest
    public HttpResponse<ErrorBody> handle(HttpRequest request, Exception exception) {
        String reference = newReference();
        LOG.error("internal error ref={} {} {}", reference, request.getMethodName(), request.getUri().getRawPath(),
                exception);
        return HttpResponse.<ErrorBody>serverError()
                .contentType(MediaType.APPLICATION_JSON_TYPE)
                .body(new ErrorBody("internal error (ref " + reference + ")"));
    }

    static String newReference() {
        byte[] bytes = new byte[4];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
