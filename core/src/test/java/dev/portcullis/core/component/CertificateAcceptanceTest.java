package dev.portcullis.core.component;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.pki.cert.PeerIdentity;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CertificateAcceptanceTest {

    private final RegistryFixture fixture = new RegistryFixture();
    private final ComponentRegistry registry = fixture.registry;

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    @Test
    void currentCertificateIsAcceptedAndAdoptsTheComponent() {
        String id = fixture.register("edge-1", PeerIdentity.Role.EDGE_PROXY);
        assertThat(registry.find(id)).hasValueSatisfying(r -> assertThat(r.adopted()).isFalse());

        X509Certificate certificate = fixture.issue(id, PeerIdentity.Role.EDGE_PROXY);

        assertThat(registry.acceptsCertificate(id, certificate.getSerialNumber())).isTrue();
        assertThat(registry.find(id)).hasValueSatisfying(r -> assertThat(r.adopted()).isTrue());
        assertThat(registry.byName("edge-1").orElseThrow().state()).isEqualTo(ComponentState.ADOPTED);
    }

    @Test
    void certificateOfARemovedComponentIsRefused() {
        String id = fixture.register("edge-1", PeerIdentity.Role.EDGE_PROXY);
        X509Certificate certificate = fixture.issue(id, PeerIdentity.Role.EDGE_PROXY);

        registry.remove("edge-1");

        assertThat(registry.acceptsCertificate(id, certificate.getSerialNumber())).isFalse();
        Integer unrevoked = fixture.database.inTransaction(c -> {
            try (var rs = c.createStatement().executeQuery("SELECT count(*) FROM certificates WHERE revoked_at IS NULL")) {
                rs.next();
                return rs.getInt(1);
            }
        });
        assertThat(unrevoked).as("remove revokes every certificate in the database").isZero();
    }

    @Test
    void anotherComponentsCertificateIsRefused() {
        String edge = fixture.register("edge-1", PeerIdentity.Role.EDGE_PROXY);
        String gateway = fixture.register("gw-1", PeerIdentity.Role.GATEWAY);
        X509Certificate edgeCertificate = fixture.issue(edge, PeerIdentity.Role.EDGE_PROXY);
        fixture.issue(gateway, PeerIdentity.Role.GATEWAY);

        assertThat(registry.acceptsCertificate(gateway, edgeCertificate.getSerialNumber())).isFalse();
        assertThat(registry.acceptsCertificate(gateway, BigInteger.TEN)).isFalse();
        assertThat(registry.acceptsCertificate("not-a-uuid", edgeCertificate.getSerialNumber())).isFalse();
    }

    @Test
    void previousCertificateIsAcceptedOnlyDuringTheRotationOverlap() {
        String id = fixture.register("edge-1", PeerIdentity.Role.EDGE_PROXY);
        X509Certificate previous = fixture.issue(id, PeerIdentity.Role.EDGE_PROXY);
        fixture.clock.advance(Duration.ofDays(4));
        X509Certificate current = fixture.issue(id, PeerIdentity.Role.EDGE_PROXY);

        fixture.clock.advance(ComponentRegistry.ROTATION_OVERLAP.minusSeconds(1));
        assertThat(registry.acceptsCertificate(id, previous.getSerialNumber())).isTrue();
        assertThat(registry.acceptsCertificate(id, current.getSerialNumber())).isTrue();

        fixture.clock.advance(Duration.ofSeconds(1));
        assertThat(registry.acceptsCertificate(id, previous.getSerialNumber())).isFalse();
        assertThat(registry.acceptsCertificate(id, current.getSerialNumber())).isTrue();
    }

    @Test
    void onlyTheLastTwoCertificatesCountDuringAnOverlap() {
        String id = fixture.register("edge-1", PeerIdentity.Role.EDGE_PROXY);
        X509Certificate oldest = fixture.issue(id, PeerIdentity.Role.EDGE_PROXY);
        fixture.issue(id, PeerIdentity.Role.EDGE_PROXY);
        fixture.issue(id, PeerIdentity.Role.EDGE_PROXY);

        assertThat(registry.acceptsCertificate(id, oldest.getSerialNumber())).isFalse();
    }

    @Test
    void certificateForAnotherIdentityIsNotRecorded() {
        String edge = fixture.register("edge-1", PeerIdentity.Role.EDGE_PROXY);
        String gateway = fixture.register("gw-1", PeerIdentity.Role.GATEWAY);
        X509Certificate edgeCertificate = fixture.ca.issueComponent(
                dev.portcullis.pki.cert.CertificateRequest.create(dev.portcullis.pki.cert.KeyPairs.generate(), "x"),
                PeerIdentity.component(PeerIdentity.Role.EDGE_PROXY, edge), java.util.List.of(), Duration.ofDays(1));

        assertThatThrownBy(() -> registry.certificateIssued(gateway, edgeCertificate))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(registry.acceptsCertificate(gateway, edgeCertificate.getSerialNumber())).isFalse();
    }
}
