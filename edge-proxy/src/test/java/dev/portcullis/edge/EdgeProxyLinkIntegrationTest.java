package dev.portcullis.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.portcullis.edge.http.PublicClient;
import dev.portcullis.edge.tls.PublicCertificate;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.store.CredentialStore;
import dev.portcullis.protocol.link.LinkState;
import dev.portcullis.protocol.testing.TestCore;
import dev.portcullis.protocol.v1.ComponentConfig;
import dev.portcullis.protocol.v1.ComponentMessage;
import dev.portcullis.protocol.v1.CoreMessage;
import dev.portcullis.protocol.v1.EdgeProxySettings;
import dev.portcullis.protocol.v1.Header;
import dev.portcullis.protocol.v1.Hello;
import dev.portcullis.protocol.v1.ProxyRequest;
import dev.portcullis.protocol.v1.ProxyResponse;
import dev.portcullis.protocol.v1.Revoked;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole edge-proxy with the real component link: a test core adopts it over real TLS on
 * loopback, opens the control stream, configures it and answers the public requests it forwards.
 */
class EdgeProxyLinkIntegrationTest {

    private static final PublicCertificate CERTIFICATE = PublicCertificate.ephemeral(Set.of(), Clock.systemUTC());

    @TempDir
    Path stateDir;

    private TestCore core;
    private EdgeProxy proxy;
    private PublicClient client;

    @BeforeEach
    void startAndAdopt() throws Exception {
        core = new TestCore();
        proxy = EdgeProxy.start(new EdgeProxy.Config(new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0),
                stateDir, Optional.of(core.mintToken()), CERTIFICATE, Clock.systemUTC(), "test"));
        client = new PublicClient(CERTIFICATE, proxy.publicPort());
        assertThat(proxy.linkState()).isEqualTo(LinkState.SETUP);

        core.adopt(proxy.controlPort(), PeerIdentity.Role.EDGE_PROXY);
        TestCore.await(() -> proxy.linkState() == LinkState.WAITING_FOR_CORE, "adopted");
    }

    @AfterEach
    void stop() {
        proxy.close();
        core.close();
    }

    @Test
    void coreAdoptsConfiguresAndAnswersForwardedRequestsOverTheRealLink() throws Exception {
        assertThat(client.get("/healthz").statusCode()).as("adopted but core not connected yet").isEqualTo(503);

        TestCore.Session session = core.openControl(proxy.controlPort(), PeerIdentity.Role.EDGE_PROXY);
        Hello hello = session.expect(ComponentMessage.BodyCase.HELLO).getHello();
        assertThat(hello.getComponentId()).isEqualTo(core.componentId);
        session.send(CoreMessage.newBuilder().setConfig(ComponentConfig.newBuilder().setVersion(3)
                .setEdgeProxy(EdgeProxySettings.newBuilder().setPublicOrigin("https://access.example.com")
                        .setRequestsPerMinutePerAddress(50))).build());
        assertThat(session.expect(ComponentMessage.BodyCase.ACK).getAck().getVersion()).isEqualTo(3);
        assertThat(proxy.settings().requestsPerMinutePerAddress()).isEqualTo(50);

        HttpResponse<String> health = client.get("/healthz");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).isEqualTo("{\"core\":\"connected\"}");

        // Telemetry is sent as soon as core connects (it may arrive before or after the ack).
        TestCore.await(() -> session.seen.stream().anyMatch(ComponentMessage::hasTelemetry), "telemetry");
        var telemetry = session.seen.stream().filter(ComponentMessage::hasTelemetry).findFirst().orElseThrow().getTelemetry();
        assertThat(telemetry.getSentAtUnixMillis()).isPositive();
        assertThat(telemetry.getRssBytes()).isPositive();

        CompletableFuture<HttpResponse<String>> pending = CompletableFuture.supplyAsync(() -> {
            try {
                return client.get("/api/v1/ping?x=1", "Accept", "text/plain");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        ProxyRequest forwarded = session.expect(ComponentMessage.BodyCase.PROXY_REQUEST).getProxyRequest();
        assertThat(forwarded.getMethod()).isEqualTo("GET");
        assertThat(forwarded.getPath()).isEqualTo("/api/v1/ping?x=1");
        assertThat(forwarded.getHeadersList()).contains(Header.newBuilder().setName("accept").setValue("text/plain").build());
        session.send(CoreMessage.newBuilder().setProxyResponse(ProxyResponse.newBuilder()
                .setRequestId(forwarded.getRequestId()).setStatus(200)
                .addHeaders(Header.newBuilder().setName("content-type").setValue("text/plain"))
                .setBody(ByteString.copyFromUtf8("pong"))).build());
        HttpResponse<String> answered = pending.get(10, TimeUnit.SECONDS);
        assertThat(answered.statusCode()).isEqualTo(200);
        assertThat(answered.body()).isEqualTo("pong");

        session.hangUp();
        TestCore.await(() -> proxy.linkState() == LinkState.WAITING_FOR_CORE, "core gone");
        assertThat(client.get("/healthz").statusCode()).isEqualTo(503);
        assertThat(client.get("/api/v1/ping").statusCode()).isEqualTo(503);
        assertThat(proxy.settings().version()).as("last configuration kept while core is away").isEqualTo(3);
        assertThat(proxy.settings().requestsPerMinutePerAddress()).isEqualTo(50);
    }

    @Test
    void revocationStopsThePublicSideAndWipesTheCredentials() throws Exception {
        TestCore.Session session = core.openControl(proxy.controlPort(), PeerIdentity.Role.EDGE_PROXY);
        session.expect(ComponentMessage.BodyCase.HELLO);
        int publicPort = proxy.publicPort();

        session.send(CoreMessage.newBuilder().setRevoked(Revoked.newBuilder().setReason("removed by admin")).build());

        assertThat(proxy.stopped().get(10, TimeUnit.SECONDS)).isEqualTo(EdgeProxy.Stop.REVOKED);
        assertThat(new CredentialStore(stateDir).load()).isEmpty();
        assertThatThrownBy(() -> new Socket("127.0.0.1", publicPort).close()).isInstanceOf(ConnectException.class);
    }
}
