package dev.portcullis.edge.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.micronaut.serde.annotation.Serdeable;

/** {@code {"core":"connected"}} or {@code {"core":"unavailable"}}: all a load balancer needs, nothing more. */
@Serdeable
@JsonInclude(JsonInclude.Include.ALWAYS)
public record HealthBody(String core) {
}
