package dev.portcullis.gateway.health;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.micronaut.serde.annotation.Serdeable;

/**
 * What {@code GET /healthz} says: the link state ({@code connected}, {@code waiting_for_core},
 * {@code setup}...), the configuration version being served, the location and core's notice, the
 * number of admitted peers and the ACL revision in force ({@code null}: default deny only).
 */
@Serdeable
@JsonInclude(JsonInclude.Include.ALWAYS)
public record HealthReport(String state, long configVersion, String location, String notice, int peers,
                           Long aclRevision) {
}
