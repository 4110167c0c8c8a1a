package dev.portcullis.core.location;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.core.component.ComponentSettings;
import dev.portcullis.core.error.BadRequestException;
import dev.portcullis.core.error.ConflictException;
import dev.portcullis.core.error.NotFoundException;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.wireguard.PresharedKey;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import dev.portcullis.protocol.v1.AclPolicy;
import dev.portcullis.protocol.v1.ConfigUpdate;
import dev.portcullis.protocol.v1.EvictionReason;
import dev.portcullis.protocol.v1.GatewaySettings;
import dev.portcullis.protocol.v1.PeerAdmission;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AdmissionsTest {

    private final LocationFixture fixture = new LocationFixture();
    private final Admissions admissions = fixture.admissions;
    private final FakeGatewayLinks links = fixture.links;

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    @Test
    void presharedKeyIsStoredOnlySealed() throws Exception {
        fixture.gateway("gw-1", "berlin", true);

        Admissions.Admission admission = admissions.admit("berlin", LocationFixture.randomKey(), List.of("10.80.0.2/32"), null);

        byte[] psk = admission.presharedKey().orElseThrow().bytes();
        try (Connection connection = fixture.database.dataSource().getConnection();
             Statement select = connection.createStatement();
             ResultSet rs = select.executeQuery("SELECT p.*, p::text AS row_text FROM location_peers p")) {
            assertThat(rs.next()).isTrue();
            for (int column = 1; column <= rs.getMetaData().getColumnCount(); column++) {
                byte[] value = rs.getBytes(column);
                if (value != null) {
                    assertThat(indexOf(value, psk)).as(rs.getMetaData().getColumnName(column)).isEqualTo(-1);
                }
            }
            String text = rs.getString("row_text");
            assertThat(text).doesNotContain(HexFormat.of().formatHex(psk))
                    .doesNotContain(Base64.getEncoder().encodeToString(psk));
            assertThat(rs.getBytes("sealed_preshared_key")).hasSize(61);
        }
    }

    @Test
    void snapshotContainsUnexpiredPeersWithTheirKeyAndExcludesExpiredOnes() {
        String gateway = fixture.gateway("gw-1", "berlin", true);
        WireGuardPublicKey longLived = LocationFixture.randomKey();
        WireGuardPublicKey shortLived = LocationFixture.randomKey();
        Admissions.Admission kept = admissions.admit("berlin", longLived, List.of("10.80.0.2/32"), Duration.ofHours(1));
        admissions.admit("berlin", shortLived, List.of("10.80.0.3/32"), Duration.ofMinutes(10));

        fixture.clock.advance(Duration.ofMinutes(30));
        GatewaySettings snapshot = fixture.registry.configuration(gateway).getGateway();

        assertThat(snapshot.getPeersList()).hasSize(1);
        PeerAdmission peer = snapshot.getPeers(0);
        assertThat(WireGuardPublicKey.fromBytes(peer.getPublicKey().toByteArray())).isEqualTo(longLived);
        assertThat(PresharedKey.fromBytes(peer.getPresharedKey().toByteArray())).isEqualTo(kept.presharedKey().orElseThrow());
        assertThat(peer.getSessionId()).isEqualTo(kept.sessionId());
        assertThat(peer.getAllowedIpsList()).containsExactly("10.80.0.2/32");
        assertThat(peer.getNotAfterUnixMillis()).isEqualTo(kept.notAfter().toEpochMilli());
        assertThat(fixture.store.peers("berlin", fixture.clock.instant())).extracting(LocationStore.AdmittedPeer::publicKey)
                .containsExactly(longLived);
    }

    @Test
    void snapshotCarriesTheLocationsAclAndTheGatewaysTunnelSettings() {
        String gateway = fixture.gateway("gw-1", "berlin", true);
        fixture.registry.updateSettings("gw-1", new ComponentSettings.Change(Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.of(List.of("10.80.0.1/24", "FD00:80:0:0::1/64")), Optional.of(1380)));
        admissions.setAcl("berlin", AclText.parse(List.of(new AclText.Rule(List.of("10.80.0.0/24"),
                List.of("192.168.10.0/24"), "tcp", List.of("443"))), List.of()));

        GatewaySettings snapshot = fixture.registry.configuration(gateway).getGateway();

        assertThat(snapshot.getWireguard().getAddressesList()).containsExactly("10.80.0.1/24", "fd00:80::1/64");
        assertThat(snapshot.getWireguard().getMtu()).isEqualTo(1380);
        assertThat(snapshot.getAcl().getRevision()).isEqualTo(1);
        assertThat(snapshot.getAcl().getRules(0).getDestinationsList()).containsExactly("192.168.10.0/24");
    }

    @Test
    void admitPushesToEveryAdoptedGatewayOfTheLocationAndOnlyThose() {
        String a1 = fixture.gateway("gw-a1", "berlin", true);
        String a2 = fixture.gateway("gw-a2", "berlin", true);
        String pending = fixture.gateway("gw-a3", "berlin", false);
        String elsewhere = fixture.gateway("gw-b1", "paris", true);
        fixture.registry.register("edge-1", PeerIdentity.Role.EDGE_PROXY, "127.0.0.1", 7443);

        WireGuardPublicKey device = LocationFixture.randomKey();
        Admissions.Admission admission = admissions.admit("berlin", device, List.of("10.80.0.2"), null);

        assertThat(links.pushed).extracting(FakeGatewayLinks.Pushed::componentId).containsExactlyInAnyOrder(a1, a2);
        for (String gateway : List.of(a1, a2)) {
            PeerAdmission pushed = links.to(gateway).get(0).getAdmit();
            assertThat(pushed.getPublicKey().toByteArray()).isEqualTo(device.bytes());
            assertThat(pushed.getPresharedKey().toByteArray()).isEqualTo(admission.presharedKey().orElseThrow().bytes());
            assertThat(pushed.getAllowedIpsList()).containsExactly("10.80.0.2/32");
        }
        assertThat(links.to(pending)).isEmpty();
        assertThat(links.to(elsewhere)).isEmpty();
        assertThat(admission.gateways()).extracting(Admissions.GatewayOutcome::name).containsExactlyInAnyOrder("gw-a1", "gw-a2");
        assertThat(admission.gateways()).allMatch(Admissions.GatewayOutcome::acknowledged);
        assertThat(admission.notAfter()).isEqualTo(fixture.clock.instant().plus(Admissions.DEFAULT_LIFETIME));
    }

    @Test
    void presharedKeyIsWithheldAndTheAdmissionRolledBackWhenAGatewayRefuses() {
        String up = fixture.gateway("gw-a1", "berlin", true);
        String down = fixture.gateway("gw-a2", "berlin", true);
        links.behave(down, FakeGatewayLinks.Behaviour.REFUSE);
        WireGuardPublicKey device = LocationFixture.randomKey();

        Admissions.Admission admission = admissions.admit("berlin", device, List.of("10.80.0.2/32"), null);

        assertThat(admission.presharedKey()).isEmpty();
        assertThat(admission.admitted()).isFalse();
        assertThat(admission.gateways()).filteredOn(o -> o.name().equals("gw-a2")).singleElement()
                .satisfies(o -> assertThat(o.error()).hasValue("component is not connected"));
        assertThat(fixture.store.peers("berlin", fixture.clock.instant())).isEmpty();
        assertThat(fixture.registry.configuration(up).getGateway().getPeersList()).isEmpty();
        assertThat(links.to(up)).extracting(ConfigUpdate::getChangeCase)
                .containsExactly(ConfigUpdate.ChangeCase.ADMIT, ConfigUpdate.ChangeCase.EVICT);
        assertThat(links.to(up).get(1).getEvict().getSessionId()).isEqualTo(admission.sessionId());
    }

    @Test
    void presharedKeyIsWithheldWhenAGatewayDoesNotAnswerInTime() {
        fixture.gateway("gw-a1", "berlin", true);
        String silent = fixture.gateway("gw-a2", "berlin", true);
        links.behave(silent, FakeGatewayLinks.Behaviour.SILENT);

        Admissions.Admission admission = admissions.admit("berlin", LocationFixture.randomKey(), List.of("10.80.0.2/32"), null);

        assertThat(admission.presharedKey()).isEmpty();
        assertThat(admission.gateways()).filteredOn(o -> o.name().equals("gw-a2")).singleElement()
                .satisfies(o -> assertThat(o.error().orElseThrow()).startsWith("no acknowledgement within"));
    }

    @Test
    void admissionIsRefusedWhenTheLocationHasNoAdoptedGateway() {
        fixture.gateway("gw-a1", "berlin", false);

        assertThatThrownBy(() -> admissions.admit("berlin", LocationFixture.randomKey(), List.of("10.80.0.2/32"), null))
                .isInstanceOf(ConflictException.class).hasMessageContaining("no adopted gateway");
        assertThat(links.pushed).isEmpty();
    }

    @Test
    void anotherPeersAllowedIpsAreNotTakenButTheSameDeviceIsReadmitted() {
        fixture.gateway("gw-a1", "berlin", true);
        WireGuardPublicKey device = LocationFixture.randomKey();
        Admissions.Admission first = admissions.admit("berlin", device, List.of("10.80.0.2/32"), null);

        assertThatThrownBy(() -> admissions.admit("berlin", LocationFixture.randomKey(), List.of("10.80.0.0/24"), null))
                .isInstanceOf(ConflictException.class).hasMessageContaining("overlaps 10.80.0.2/32");

        Admissions.Admission again = admissions.admit("berlin", device, List.of("10.80.0.2/32"), null);
        assertThat(again.sessionId()).isNotEqualTo(first.sessionId());
        assertThat(fixture.store.peers("berlin", fixture.clock.instant())).singleElement()
                .satisfies(p -> assertThat(p.sessionId()).isEqualTo(again.sessionId()));
    }

    @Test
    void malformedAdmissionsAreRefused() {
        fixture.gateway("gw-a1", "berlin", true);
        WireGuardPublicKey key = LocationFixture.randomKey();

        assertThatThrownBy(() -> admissions.admit("berlin", key, List.of(), null)).isInstanceOf(BadRequestException.class);
        assertThatThrownBy(() -> admissions.admit("berlin", key, List.of("10.80.0.2/24"), null))
                .isInstanceOf(BadRequestException.class).hasMessageContaining("host bits");
        assertThatThrownBy(() -> admissions.admit("berlin", key, List.of("a/32", "b/32", "c/32", "d/32", "e/32"), null))
                .isInstanceOf(BadRequestException.class);
        assertThatThrownBy(() -> admissions.admit("berlin", key, List.of("10.80.0.2/32"), Duration.ofDays(8)))
                .isInstanceOf(BadRequestException.class).hasMessageContaining("lifetime");
        assertThatThrownBy(() -> admissions.admit("berlin", WireGuardPublicKey.fromBytes(new byte[32]), List.of("10.80.0.2/32"), null))
                .isInstanceOf(BadRequestException.class);
        assertThatThrownBy(() -> admissions.admit("../etc", key, List.of("10.80.0.2/32"), null))
                .isInstanceOf(BadRequestException.class);
        assertThat(links.pushed).isEmpty();
    }

    @Test
    void evictPushesAnEvictionToEveryGatewayOfTheLocation() {
        String a1 = fixture.gateway("gw-a1", "berlin", true);
        String a2 = fixture.gateway("gw-a2", "berlin", true);
        WireGuardPublicKey device = LocationFixture.randomKey();
        Admissions.Admission admission = admissions.admit("berlin", device, List.of("10.80.0.2/32"), null);
        links.pushed.clear();

        Admissions.Eviction eviction = admissions.evict("berlin", device);

        assertThat(eviction.sessionId()).isEqualTo(admission.sessionId());
        for (String gateway : List.of(a1, a2)) {
            assertThat(links.to(gateway)).singleElement().satisfies(update -> {
                assertThat(update.getEvict().getPublicKey().toByteArray()).isEqualTo(device.bytes());
                assertThat(update.getEvict().getReason()).isEqualTo(EvictionReason.EVICTION_REASON_REVOKED);
                assertThat(update.getEvict().getSessionId()).isEqualTo(admission.sessionId());
            });
            assertThat(fixture.registry.configuration(gateway).getGateway().getPeersList()).isEmpty();
        }
        assertThatThrownBy(() -> admissions.evict("berlin", device)).isInstanceOf(NotFoundException.class);
    }

    @Test
    void aclIsStoredWithAnIncrementingRevisionAndPushedToTheGateways() {
        String gateway = fixture.gateway("gw-a1", "berlin", true);
        AclPolicy policy = AclText.parse(List.of(new AclText.Rule(List.of("10.80.0.0/24"), List.of("0.0.0.0/0"), "any",
                List.of())), List.of("192.168.0.0/16"));

        assertThat(admissions.setAcl("berlin", policy).policy().getRevision()).isEqualTo(1);
        Admissions.AclChange second = admissions.setAcl("berlin", policy);

        assertThat(second.policy().getRevision()).isEqualTo(2);
        assertThat(fixture.store.acl("berlin").policy().getRevision()).isEqualTo(2);
        assertThat(links.to(gateway)).extracting(u -> u.getAcl().getRevision()).containsExactly(1L, 2L);
        assertThat(links.to(gateway).get(1).getAcl().getMasqueradeDestinationsList()).containsExactly("192.168.0.0/16");
    }

    @Test
    void consecutiveUpdatesChainTheirVersions() {
        String gateway = fixture.gateway("gw-a1", "berlin", true);
        long start = fixture.registry.configuration(gateway).getVersion();
        WireGuardPublicKey device = LocationFixture.randomKey();

        List<ConfigUpdate> updates = new ArrayList<>();
        updates.add(fixture.registry.updateSettings("gw-a1", new ComponentSettings.Change(Optional.empty(), Optional.empty(),
                Optional.of("maintenance tonight"), Optional.empty())));
        admissions.admit("berlin", device, List.of("10.80.0.2/32"), null);
        admissions.setAcl("berlin", AclPolicy.getDefaultInstance());
        admissions.evict("berlin", device);
        updates.addAll(links.to(gateway));

        for (int i = 0; i < updates.size(); i++) {
            assertThat(updates.get(i).getBaseVersion()).as("update %d", i).isEqualTo(start + i);
            assertThat(updates.get(i).getVersion()).as("update %d", i).isEqualTo(start + i + 1);
        }
        assertThat(updates).hasSize(4);
        assertThat(fixture.registry.configuration(gateway).getVersion()).isEqualTo(start + 4);
    }

    @Test
    void movingAGatewayToAnotherLocationAsksItForASnapshot() {
        fixture.gateway("gw-a1", "berlin", true);

        ConfigUpdate moved = fixture.registry.updateSettings("gw-a1", new ComponentSettings.Change(Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.of("paris")));

        assertThat(moved.getBaseVersion()).as("never a real version: the gateway resyncs").isZero();
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
