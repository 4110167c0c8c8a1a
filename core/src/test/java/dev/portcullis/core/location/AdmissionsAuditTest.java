package dev.portcullis.core.location;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.core.audit.Actor;
import dev.portcullis.core.audit.AuditRows;
import dev.portcullis.core.error.BadRequestException;
import dev.portcullis.core.error.ConflictException;
import dev.portcullis.core.error.NotFoundException;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import dev.portcullis.protocol.v1.AclPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Policy apply (ACL revisions) and an admin's own admissions and evictions are on the audit log; no preshared key is. */
class AdmissionsAuditTest {

    private static final Actor ADMIN = Actor.admin("alice", "198.51.100.7");

    private final LocationFixture fixture = new LocationFixture();
    private final Admissions admissions = fixture.admissions;

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    private List<AuditRows.Row> records(String action) {
        return AuditRows.of(fixture.database, fixture.auditLog, action);
    }

    private AuditRows.Row record(String action) {
        return AuditRows.single(fixture.database, fixture.auditLog, action);
    }

    private static AclPolicy twoRules() {
        return AclText.parse(List.of(
                new AclText.Rule(List.of("10.80.0.0/24"), List.of("192.168.10.0/24"), "tcp", List.of("443")),
                new AclText.Rule(List.of("10.80.0.0/24"), List.of("192.168.20.0/24"), "udp", List.of("53"))),
                List.of("192.168.10.0/24"));
    }

    @Test
    void anAclRevisionIsRecordedWithItsRevisionAndRuleCount() {
        fixture.gateway("gw-1", "berlin", true);

        admissions.setAcl("berlin", twoRules(), ADMIN);
        admissions.setAcl("berlin", AclPolicy.getDefaultInstance(), ADMIN);

        List<AuditRows.Row> rows = records("location.acl.changed");
        assertThat(rows).extracting(AuditRows.Row::actor).containsOnly("admin:alice");
        assertThat(rows).extracting(AuditRows.Row::source).containsOnly("198.51.100.7");
        assertThat(rows).extracting(AuditRows.Row::subject).containsOnly("location:berlin");
        assertThat(rows).extracting(AuditRows.Row::outcome).containsOnly("SUCCESS");
        assertThat(rows).extracting(r -> r.details().get("revision")).containsExactly("1", "2");
        assertThat(rows).extracting(r -> r.details().get("rules")).containsExactly("2", "0");
        assertThat(rows).extracting(r -> r.details().get("masquerade_destinations")).containsExactly("1", "0");
        assertThat(rows).extracting(r -> r.details().get("gateways")).containsExactly("1", "1");
    }

    @Test
    void aRefusedAclLeavesNoRecord() {
        fixture.gateway("gw-1", "berlin", true);

        assertThatThrownBy(() -> admissions.setAcl("../etc", twoRules(), ADMIN))
                .isInstanceOf(BadRequestException.class);
        assertThatThrownBy(() -> admissions.setAcl("berlin", AclText.parse(List.of(new AclText.Rule(
                List.of("10.80.0.0/24"), List.of("0.0.0.0/0"), "icmp", List.of("80"))), List.of()), ADMIN))
                .isInstanceOf(BadRequestException.class);

        assertThat(records("location.acl.changed")).isEmpty();
    }

    @Test
    void anAdminAdmissionIsRecordedOnceEveryGatewayAcknowledged() {
        fixture.gateway("gw-1", "berlin", true);
        WireGuardPublicKey key = LocationFixture.randomKey();

        Admissions.Admission admission = admissions.admit("berlin", key, List.of("10.80.0.2/32"), Duration.ofHours(2), ADMIN);

        assertThat(admission.admitted()).isTrue();
        AuditRows.Row row = record("peer.admitted");
        assertThat(row.actor()).isEqualTo("admin:alice");
        assertThat(row.source()).isEqualTo("198.51.100.7");
        assertThat(row.subject()).isEqualTo("peer:" + key.base64());
        assertThat(row.outcome()).isEqualTo("SUCCESS");
        assertThat(row.details()).containsEntry("location", "berlin").containsEntry("public_key", key.base64())
                .containsEntry("session", admission.sessionId()).containsEntry("lifetime_seconds", "7200")
                .containsEntry("not_after", admission.notAfter().toString()).containsEntry("allowed_ips", "10.80.0.2/32");
    }

    @Test
    void aRefusedAdmissionLeavesNoSuccessRecord() {
        fixture.gateway("gw-1", "berlin", true);
        admissions.admit("berlin", LocationFixture.randomKey(), List.of("10.80.0.2/32"), null, ADMIN);

        assertThatThrownBy(() -> admissions.admit("berlin", LocationFixture.randomKey(), List.of("10.80.0.2/32"), null, ADMIN))
                .isInstanceOf(ConflictException.class);
        assertThatThrownBy(() -> admissions.admit("nowhere", LocationFixture.randomKey(), List.of("10.81.0.2/32"), null, ADMIN))
                .isInstanceOf(ConflictException.class);
        assertThatThrownBy(() -> admissions.admit("berlin", LocationFixture.randomKey(), List.of("10.80.0.3/32"),
                Duration.ofDays(30), ADMIN)).isInstanceOf(BadRequestException.class);

        assertThat(records("peer.admitted")).hasSize(1);
    }

    @Test
    void anAdmissionAGatewayDidNotAcknowledgeIsRecordedAsFailedNotAdmitted() {
        String gateway = fixture.gateway("gw-1", "berlin", true);
        fixture.links.behave(gateway, FakeGatewayLinks.Behaviour.REFUSE);
        WireGuardPublicKey key = LocationFixture.randomKey();

        Admissions.Admission admission = admissions.admit("berlin", key, List.of("10.80.0.2/32"), null, ADMIN);

        assertThat(admission.admitted()).isFalse();
        AuditRows.Row row = record("peer.admitted");
        assertThat(row.outcome()).isEqualTo("FAILURE");
        assertThat(row.actor()).isEqualTo("admin:alice");
        assertThat(row.details()).containsEntry("session", admission.sessionId()).containsEntry("gateways_missing", "gw-1");
    }

    @Test
    void anAdminEvictionIsRecordedAndAMissingPeerIsNot() {
        fixture.gateway("gw-1", "berlin", true);
        WireGuardPublicKey key = LocationFixture.randomKey();
        Admissions.Admission admission = admissions.admit("berlin", key, List.of("10.80.0.2/32"), null, ADMIN);

        admissions.evict("berlin", key, Actor.admin("bob", "198.51.100.8"));
        assertThatThrownBy(() -> admissions.evict("berlin", key, ADMIN)).isInstanceOf(NotFoundException.class);

        AuditRows.Row row = record("peer.evicted");
        assertThat(row.actor()).isEqualTo("admin:bob");
        assertThat(row.source()).isEqualTo("198.51.100.8");
        assertThat(row.subject()).isEqualTo("peer:" + key.base64());
        assertThat(row.outcome()).isEqualTo("SUCCESS");
        assertThat(row.details()).containsEntry("location", "berlin").containsEntry("session", admission.sessionId())
                .containsEntry("public_key", key.base64());
        assertThat(records("tunnel.session.evicted")).isEmpty();
    }

    @Test
    void aTunnelSessionEvictionIsRecordedOnlyAsATunnelSessionEviction() {
        fixture.gateway("gw-1", "berlin", true);
        WireGuardPublicKey key = LocationFixture.randomKey();
        admissions.admit("berlin", key, List.of("10.80.0.2/32"), null, ADMIN);

        assertThat(admissions.evict("berlin", key, Optional.empty(), new Admissions.SessionEnd(Admissions.EndReason.REVOKED,
                ADMIN, fixture.events))).isPresent();

        assertThat(records("tunnel.session.evicted")).hasSize(1);
        assertThat(records("peer.evicted")).isEmpty();
    }

    @Test
    void noPresharedKeyReachesTheAuditLog() {
        String gateway = fixture.gateway("gw-1", "berlin", true);
        WireGuardPublicKey key = LocationFixture.randomKey();
        Admissions.Admission kept = admissions.admit("berlin", key, List.of("10.80.0.2/32"), null, ADMIN);
        fixture.links.behave(gateway, FakeGatewayLinks.Behaviour.REFUSE);
        admissions.admit("berlin", LocationFixture.randomKey(), List.of("10.80.0.3/32"), null, ADMIN);
        fixture.links.behave(gateway, FakeGatewayLinks.Behaviour.ACKNOWLEDGE);
        admissions.evict("berlin", key, ADMIN);
        // The refused admission's key went to the gateway in its push; it must not be in the log either.
        List<byte[]> pushedKeys = fixture.links.to(gateway).stream().filter(u -> u.hasAdmit())
                .map(u -> u.getAdmit().getPresharedKey().toByteArray()).toList();

        String audit = AuditRows.allText(fixture.database, fixture.auditLog);
        assertThat(audit).contains("peer.admitted").contains("peer.evicted");
        assertThat(pushedKeys).hasSize(2);
        for (byte[] psk : pushedKeys) {
            for (String form : AuditRows.encodings(psk)) {
                assertThat(audit).doesNotContain(form);
            }
        }
        assertThat(AuditRows.encodings(kept.presharedKey().orElseThrow().bytes())).allSatisfy(
                form -> assertThat(audit).doesNotContain(form));
    }
}
