package dev.portcullis.gateway.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.settings.GatewaySettingsHolder;
import dev.portcullis.protocol.link.LinkState;
import dev.portcullis.protocol.v1.ComponentConfig;
import dev.portcullis.protocol.v1.GatewaySettings;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The health endpoint over real HTTP on loopback, with a fake link state. */
class HealthServerTest {

    private final AtomicReference<LinkState> state = new AtomicReference<>(LinkState.WAITING_FOR_CORE);
    private final GatewaySettingsHolder settings = new GatewaySettingsHolder();
    private final AtomicInteger peers = new AtomicInteger();
    private final AtomicReference<OptionalLong> aclRevision = new AtomicReference<>(OptionalLong.empty());
    private final HttpClient client = HttpClient.newHttpClient();
    private HealthServer server;

    @BeforeEach
    void start() {
        server = HealthServer.start(new InetSocketAddress("127.0.0.1", 0), state::get, settings, new DataPlaneStatus() {
            @Override
            public int peerCount() {
                return peers.get();
            }

            @Override
            public OptionalLong aclRevision() {
                return aclRevision.get();
            }
        });
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void healthIs200WhileCoreIsConnectedAnd503OtherwiseWithStateVersionAndLocation() throws Exception {
        settings.applyConfig(ComponentConfig.newBuilder().setVersion(5)
                .setGateway(GatewaySettings.newBuilder().setLocation("eu-central").setNotice("patching at 22:00")).build());

        peers.set(3);
        aclRevision.set(OptionalLong.of(17));
        state.set(LinkState.CONNECTED);
        HttpResponse<String> up = get("/healthz");
        assertThat(up.statusCode()).isEqualTo(200);
        assertThat(up.body()).isEqualTo("{\"state\":\"connected\",\"configVersion\":5,\"location\":\"eu-central\","
                + "\"notice\":\"patching at 22:00\",\"peers\":3,\"aclRevision\":17}");
        assertThat(up.headers().firstValue("cache-control")).hasValue("no-store");

        state.set(LinkState.WAITING_FOR_CORE);
        HttpResponse<String> away = get("/healthz");
        assertThat(away.statusCode()).isEqualTo(503);
        assertThat(away.body()).contains("\"state\":\"waiting_for_core\"", "\"configVersion\":5", "\"location\":\"eu-central\"");

        state.set(LinkState.SETUP);
        HttpResponse<String> setup = get("/healthz");
        assertThat(setup.statusCode()).isEqualTo(503);
        assertThat(setup.body()).isEqualTo("{\"state\":\"setup\",\"configVersion\":5,\"location\":\"eu-central\","
                + "\"notice\":\"patching at 22:00\",\"peers\":3,\"aclRevision\":17}");
    }

    @Test
    void emptyFieldsAreStillReported() throws Exception {
        HttpResponse<String> response = get("/healthz");

        assertThat(response.body()).isEqualTo("{\"state\":\"waiting_for_core\",\"configVersion\":0,\"location\":\"\",\"notice\":\"\","
                + "\"peers\":0,\"aclRevision\":null}");
    }

    @Test
    void otherPathsAre404WithANeutralBody() throws Exception {
        HttpResponse<String> response = get("/admin");

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.body()).isEqualTo("{\"error\":\"not found\"}");
    }

    @Test
    void closingTheServerStopsListening() throws Exception {
        int port = server.port();
        server.close();

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new java.net.Socket("127.0.0.1", port).close())
                .isInstanceOf(java.net.ConnectException.class);
    }

    private HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
