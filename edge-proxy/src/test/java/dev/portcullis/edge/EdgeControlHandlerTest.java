package dev.portcullis.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.edge.forward.Forwarder;
import dev.portcullis.edge.http.FakeCore;
import dev.portcullis.edge.http.PublicClient;
import dev.portcullis.edge.http.PublicHttpServer;
import dev.portcullis.edge.ratelimit.RateLimiter;
import dev.portcullis.edge.ratelimit.RateLimits;
import dev.portcullis.edge.settings.EdgeSettings;
import dev.portcullis.edge.settings.EdgeSettingsHolder;
import dev.portcullis.edge.tls.PublicCertificate;
import dev.portcullis.protocol.link.ComponentHandler.ConfigRejectedException;
import dev.portcullis.protocol.v1.ComponentConfig;
import dev.portcullis.protocol.v1.EdgeProxySettings;
import dev.portcullis.protocol.v1.ProxyResponse;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What core's messages do to a running proxy, seen from the public side. */
class EdgeControlHandlerTest {

    private static final PublicCertificate CERTIFICATE = PublicCertificate.ephemeral(Set.of(), Clock.systemUTC());

    private final AtomicInteger connects = new AtomicInteger();
    private final List<String> revocations = new CopyOnWriteArrayList<>();
    private FakeCore core;
    private Forwarder forwarder;
    private EdgeSettingsHolder settings;
    private EdgeControlHandler handler;
    private PublicHttpServer server;
    private PublicClient client;

    @BeforeEach
    void start() {
        core = new FakeCore();
        forwarder = new Forwarder(core);
        core.attach(forwarder);
        RateLimiter limiter = new RateLimiter(EdgeSettings.DEFAULT_REQUESTS_PER_MINUTE);
        settings = new EdgeSettingsHolder(applied -> limiter.setRequestsPerMinute(applied.requestsPerMinutePerAddress()));
        handler = new EdgeControlHandler(settings, forwarder, CERTIFICATE.trustAnchorPin(), connects::incrementAndGet, revocations::add);
        server = PublicHttpServer.start(new InetSocketAddress("127.0.0.1", 0), CERTIFICATE, forwarder, RateLimits.withApi(limiter));
        client = new PublicClient(CERTIFICATE, server.port());
    }

    @AfterEach
    void stop() {
        server.close();
        core.close();
    }

    @Test
    void theLastConfigurationIsKeptWhileCoreIsAway() throws Exception {
        handler.onCoreConnected();
        handler.applyConfig(config(4, 3));
        handler.onCoreDisconnected();
        core.setConnected(false);

        assertThat(settings.current().version()).isEqualTo(4);
        assertThat(settings.current().publicOrigin()).isPresent();
        // Core's limit of 3 a minute still applies while core is away: three answers (503: core is away), then 429.
        assertThat(client.get("/api/x").statusCode()).isEqualTo(503);
        assertThat(client.get("/api/x").statusCode()).isEqualTo(503);
        assertThat(client.get("/api/x").statusCode()).isEqualTo(503);
        assertThat(client.get("/api/x").statusCode()).isEqualTo(429);
        assertThat(client.get("/healthz").statusCode()).isEqualTo(503);
    }

    @Test
    void coreAnswersReachTheWaitingRequest() throws Exception {
        core.answerWith(request -> ProxyResponse.newBuilder().setStatus(204).build());
        // FakeCore answers through the forwarder directly; the handler routes the link's answers the same way.
        assertThat(client.get("/api/x").statusCode()).isEqualTo(204);
    }

    @Test
    void aRefusedConfigurationKeepsTheOneBeingServed() throws Exception {
        handler.applyConfig(config(4, 3));

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> handler.applyConfig(config(5, EdgeSettings.MAX_REQUESTS_PER_MINUTE + 1)))
                .isInstanceOf(ConfigRejectedException.class);
        assertThat(settings.current().version()).isEqualTo(4);
    }

    @Test
    void revocationIsPassedOnAndFailsWaitingRequests() throws Exception {
        core.staysSilent();
        var waiting = forwarder.forward(dev.portcullis.protocol.v1.ProxyRequest.getDefaultInstance());

        handler.onRevoked("removed by admin");

        assertThat(revocations).containsExactly("removed by admin");
        assertThat(waiting).isCompletedExceptionally();
    }

    @Test
    void helloCarriesThePinOfThePublicCertificate() {
        dev.portcullis.protocol.v1.Hello.Builder hello = dev.portcullis.protocol.v1.Hello.newBuilder();

        handler.describe(hello);

        assertThat(hello.getPublicTrustAnchorSha256().toByteArray()).isEqualTo(CERTIFICATE.trustAnchorPin()).hasSize(32);
    }

    private static ComponentConfig config(long version, int perMinute) {
        return ComponentConfig.newBuilder().setVersion(version).setEdgeProxy(EdgeProxySettings.newBuilder()
                .setPublicOrigin("https://access.example.com").setRequestsPerMinutePerAddress(perMinute)).build();
    }
}
