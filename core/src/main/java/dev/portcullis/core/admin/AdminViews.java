package dev.portcullis.core.admin;

import dev.portcullis.core.component.Component;
import dev.portcullis.core.component.ComponentSettings;
import dev.portcullis.core.link.LinkStatus;
import dev.portcullis.pki.cert.PeerIdentity;
import java.time.Instant;
import java.util.Optional;

/** Maps registry and link types to the admin API's JSON records: once, here. */
final class AdminViews {

    private AdminViews() {
    }

    static AdminApi.ComponentView component(Component component, Optional<LinkStatus> link) {
        return new AdminApi.ComponentView(component.id(), component.name(), component.role().urnName(),
                component.address().toString(), component.state().name(),
                component.configVersion(), settings(component.role(), component.settings()),
                component.createdAt().toString(), component.adoptedAt().map(Instant::toString).orElse(null),
                link.map(AdminViews::link).orElse(null));
    }

    static AdminApi.Settings settings(PeerIdentity.Role role, ComponentSettings settings) {
        if (role == PeerIdentity.Role.EDGE_PROXY) {
            return new AdminApi.Settings(settings.publicOrigin().orElse(null), settings.requestsPerMinutePerAddress(),
                    null, settings.notice());
        }
        return new AdminApi.Settings(null, null, settings.location().orElse(null), settings.notice());
    }

    static AdminApi.Link link(LinkStatus status) {
        return new AdminApi.Link(status.phase().name(), status.since().toString(),
                status.lastError().orElse(null), status.certificateNotAfter().map(Instant::toString).orElse(null),
                status.configVersionAcked(), status.lastTelemetry().map(Instant::toString).orElse(null));
    }

    static PeerIdentity.Role role(String name) {
        if ("edge-proxy".equals(name)) {
            return PeerIdentity.Role.EDGE_PROXY;
        }
        if ("gateway".equals(name)) {
            return PeerIdentity.Role.GATEWAY;
        }
        throw new dev.portcullis.core.error.BadRequestException("role must be 'edge-proxy' or 'gateway'");
    }
}
