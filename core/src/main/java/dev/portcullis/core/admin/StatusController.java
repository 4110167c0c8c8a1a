package dev.portcullis.core.admin;

import dev.portcullis.core.component.ComponentRegistry;
import dev.portcullis.core.link.LinkStatus;
import dev.portcullis.pki.authority.CertificateAuthority;
import dev.portcullis.pki.cert.CaFingerprint;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.util.Map;
import java.util.Optional;

/** What core is, which CA it runs, and how each component link is doing; plus the unauthenticated health check. */
@Controller
@ExecuteOn(TaskExecutors.BLOCKING)
public final class StatusController {

    private final ComponentRegistry registry;
    private final LinkControl links;
    private final String caFingerprint;

    public StatusController(ComponentRegistry registry, LinkControl links, CertificateAuthority ca) {
        this.registry = registry;
        this.links = links;
        this.caFingerprint = CaFingerprint.of(ca.certificate()).toString();
    }

    @Get("/api/v1/status")
    public AdminApi.Status status() {
        Map<String, LinkStatus> statuses = links.statuses();
        return new AdminApi.Status(CoreVersion.current(), caFingerprint, registry.list().stream()
                .map(c -> AdminViews.component(c, Optional.ofNullable(statuses.get(c.id()))))
                .toList());
    }

    /** Liveness only: says nothing about components or configuration, so it needs no token. */
    @Get("/healthz")
    public AdminApi.Health health() {
        return new AdminApi.Health("ok");
    }
}
