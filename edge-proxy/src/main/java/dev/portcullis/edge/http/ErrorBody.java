package dev.portcullis.edge.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.micronaut.serde.annotation.Serdeable;

/** The only shape of an error a user ever sees: one neutral sentence. */
@Serdeable
@JsonInclude(JsonInclude.Include.ALWAYS)
public record ErrorBody(String error) {
}
