package dev.portcullis.edge.http;

import dev.portcullis.edge.forward.Forwarder;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;

/** {@code GET /healthz}: 200 while core holds the control stream, 503 otherwise. */
@Controller
final class HealthController {

    static final String PATH = "/healthz";

    private final Forwarder forwarder;

    HealthController(Forwarder forwarder) {
        this.forwarder = forwarder;
    }

    @Get(PATH)
    HttpResponse<HealthBody> health() {
        return forwarder.coreConnected()
                ? HttpResponse.ok(new HealthBody("connected"))
                : HttpResponse.<HealthBody>status(HttpStatus.SERVICE_UNAVAILABLE).body(new HealthBody("unavailable"));
    }
}
