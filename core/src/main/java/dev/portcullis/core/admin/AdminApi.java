package dev.portcullis.core.admin;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import java.util.List;

/**
 * The admin API's JSON bodies, shared by the server and the {@code portcullis-admin} CLI.
 * Request fields are nullable so that a missing field gets a precise error from the controller
 * instead of a generic deserialization failure.
 */
public final class AdminApi {

    private AdminApi() {
    }

    /** POST /api/v1/components */
    @Serdeable
    public record NewComponent(@Nullable String name, @Nullable String role, @Nullable String address) {
    }

    /** 201 answer to POST /api/v1/components: the only response that contains the join token. */
    @Serdeable
    public record RegisteredComponent(String id, String name, String role, String address, String joinToken,
                                      long joinTokenExpiresInSeconds) {
    }

    /** POST /api/v1/components/{name}/token */
    @Serdeable
    public record JoinTokenIssued(String name, String joinToken, long joinTokenExpiresInSeconds) {
    }

    /** {@code state} is PENDING, ADOPTED or REMOVED; {@code link} is absent when core has no link to it. */
    @Serdeable
    public record ComponentView(String id, String name, String role, String address, String state, long configVersion,
                                @Nullable Settings settings, String createdAt, @Nullable String adoptedAt,
                                @Nullable Link link) {
        public ComponentView {
            settings = settings == null ? new Settings(null, null, null, null) : settings;
        }
    }

    /** Both a component's settings and the body of PUT /api/v1/components/{name}/settings (absent = unchanged). */
    @Serdeable
    public record Settings(@Nullable String publicOrigin, @Nullable Integer requestsPerMinutePerAddress,
                           @Nullable String location, @Nullable String notice) {
    }

    /** A component link as the supervisor reports it; {@code phase} is JOINING, CONNECTING, CONNECTED or REMOVED. */
    @Serdeable
    public record Link(String phase, String since, @Nullable String lastError, @Nullable String certificateNotAfter,
                       long configVersionAcked, @Nullable String lastTelemetry) {
    }

    @Serdeable
    public record RemovedComponent(String id, String name) {
    }

    @Serdeable
    public record Status(String version, String caFingerprint, @Nullable List<ComponentView> components) {
        public Status {
            components = components == null ? List.of() : List.copyOf(components);
        }
    }

    /** POST /api/v1/admin-tokens */
    @Serdeable
    public record NewAdminToken(@Nullable String name) {
    }

    /** 201 answer to POST /api/v1/admin-tokens: the only response that contains the token. */
    @Serdeable
    public record AdminTokenIssued(String id, String name, String token) {
    }

    @Serdeable
    public record Health(String status) {
    }
}
