package dev.portcullis.gateway.health;

import io.micronaut.serde.annotation.Serdeable;

/** The only shape of an error this endpoint answers: one neutral sentence. */
@Serdeable
public record ErrorBody(String error) {
}
