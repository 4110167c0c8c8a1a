package dev.portcullis.core.component;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.enroll.TrustAnchorPin;
import dev.portcullis.protocol.v1.ComponentKind;
import dev.portcullis.protocol.v1.Hello;
import java.security.SecureRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** An edge-proxy's Hello carries the pin of its public TLS chain; core keeps the latest one on the component row. */
class EdgeProxyReportsTest {

    private final RegistryFixture fixture = new RegistryFixture();
    private final EdgeProxyReports reports = new EdgeProxyReports(fixture.database, fixture.clock, Runnable::run);

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    private static byte[] pin() {
        byte[] pin = new byte[32];
        new SecureRandom().nextBytes(pin);
        return pin;
    }

    private static Hello hello(ComponentKind kind, String id, byte[] pin) {
        return Hello.newBuilder().setKind(kind).setComponentId(id).setPublicTrustAnchorSha256(ByteString.copyFrom(pin)).build();
    }

    @Test
    void theLatestReportedPinIsStoredForTheEdgeProxy() {
        String id = fixture.register("edge-1", PeerIdentity.Role.EDGE_PROXY);
        byte[] first = pin();
        byte[] second = pin();

        reports.hello(id, hello(ComponentKind.COMPONENT_KIND_EDGE_PROXY, id, first));
        reports.hello(id, hello(ComponentKind.COMPONENT_KIND_EDGE_PROXY, id, second));

        assertThat(fixture.registry.publicEdge(id).orElseThrow().pin()).contains(TrustAnchorPin.encode(second));
    }

    @Test
    void malformedPinsAndOtherComponentsAreIgnored() {
        String edge = fixture.register("edge-1", PeerIdentity.Role.EDGE_PROXY);
        String gateway = fixture.register("gw-1", PeerIdentity.Role.GATEWAY);

        reports.hello(edge, hello(ComponentKind.COMPONENT_KIND_EDGE_PROXY, edge, new byte[31]));
        reports.hello(gateway, hello(ComponentKind.COMPONENT_KIND_GATEWAY, gateway, pin()));

        assertThat(fixture.registry.publicEdge(edge).orElseThrow().pin()).isEmpty();
        assertThat(fixture.registry.publicEdge(gateway)).as("a gateway is no edge-proxy").isEmpty();
    }
}
