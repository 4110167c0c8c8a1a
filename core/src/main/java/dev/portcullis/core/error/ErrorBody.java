package dev.portcullis.core.error;

import io.micronaut.serde.annotation.Serdeable;

/** The only error shape the admin API and the public API return: {@code {"error": "..."}}. */
@Serdeable
public record ErrorBody(String error) {
}
