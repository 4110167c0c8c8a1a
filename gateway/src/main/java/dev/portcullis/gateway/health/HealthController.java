package dev.portcullis.gateway.health;

import dev.portcullis.gateway.settings.GatewayConfig;
import dev.portcullis.gateway.settings.GatewaySettingsHolder;
import dev.portcullis.protocol.link.LinkState;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import java.util.Locale;
import java.util.OptionalLong;

/** {@code GET /healthz}: 200 while core holds the control stream, 503 otherwise; the body says why. */
@Controller
final class HealthController {

    private final LinkStateSource link;
    private final GatewaySettingsHolder settings;
    private final DataPlaneStatus dataPlane;

    HealthController(LinkStateSource link, GatewaySettingsHolder settings, DataPlaneStatus dataPlane) {
        this.link = link;
        this.settings = settings;
        this.dataPlane = dataPlane;
    }

    @Get("/healthz")
    HttpResponse<HealthReport> health() {
        LinkState state = link.state();
        GatewayConfig config = settings.current();
        OptionalLong aclRevision = dataPlane.aclRevision();
        HealthReport report = new HealthReport(state.name().toLowerCase(Locale.ROOT), config.version(), config.location(),
                config.notice(), dataPlane.peerCount(), aclRevision.isPresent() ? aclRevision.getAsLong() : null);
        return state == LinkState.CONNECTED ? HttpResponse.ok(report)
                : HttpResponse.<HealthReport>status(HttpStatus.SERVICE_UNAVAILABLE).body(report);
    }
}
