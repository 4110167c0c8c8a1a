package dev.portcullis.core.component;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.portcullis.core.audit.Actor;
import dev.portcullis.core.audit.AuditRows;
import dev.portcullis.core.error.BadRequestException;
import dev.portcullis.core.error.ConflictException;
import dev.portcullis.core.error.NotFoundException;
import dev.portcullis.core.link.JoinVerdict;
import dev.portcullis.pki.cert.Certificates;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.join.JoinToken;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Every registry change and join verdict is on the audit log, by whom it was done, and no join token secret is. */
class ComponentAuditTest {

    private static final Actor ADMIN = Actor.admin("alice", "198.51.100.7");

    private final RegistryFixture fixture = new RegistryFixture();
    private final ComponentRegistry registry = fixture.registry;

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

    @Test
    void registrationIsRecordedByTheAdminWithRoleAddressAndTokenId() {
        JoinToken token = registry.register("edge-1", PeerIdentity.Role.EDGE_PROXY, "127.0.0.1", 7443, ADMIN);

        AuditRows.Row row = record("component.registered");
        assertThat(row.actor()).isEqualTo("admin:alice");
        assertThat(row.source()).isEqualTo("198.51.100.7");
        assertThat(row.subject()).isEqualTo("component:edge-1");
        assertThat(row.outcome()).isEqualTo("SUCCESS");
        assertThat(row.details()).containsEntry("id", token.componentId()).containsEntry("role", "edge-proxy")
                .containsEntry("address", "127.0.0.1:7443").containsEntry("join_token_id", token.tokenId())
                .containsEntry("join_token_expires_at", fixture.clock.instant().plus(registry.joinTokenTtl()).toString());
    }

    @Test
    void theShortFormIsRecordedAsCoreItself() {
        registry.register("edge-1", PeerIdentity.Role.EDGE_PROXY, "127.0.0.1", 7443);

        AuditRows.Row row = record("component.registered");
        assertThat(row.actor()).isEqualTo("core");
        assertThat(row.source()).isNull();
    }

    @Test
    void aRefusedRegistrationLeavesNoRecord() {
        registry.register("edge-1", PeerIdentity.Role.EDGE_PROXY, "127.0.0.1", 7443, ADMIN);

        assertThatThrownBy(() -> registry.register("edge-1", PeerIdentity.Role.GATEWAY, "127.0.0.2", 7443, ADMIN))
                .isInstanceOf(ConflictException.class);
        assertThatThrownBy(() -> registry.register("Not A Name", PeerIdentity.Role.GATEWAY, "127.0.0.2", 7443, ADMIN))
                .isInstanceOf(BadRequestException.class);
        assertThatThrownBy(() -> registry.register("core-1", PeerIdentity.Role.CORE, "127.0.0.2", 7443, ADMIN))
                .isInstanceOf(BadRequestException.class);

        assertThat(records("component.registered")).extracting(AuditRows.Row::details)
                .extracting(d -> d.get("role")).containsExactly("edge-proxy");
    }

    @Test
    void reissuedTokenIsRecordedAndARefusedReissueIsNot() {
        JoinToken first = registry.register("gw-1", PeerIdentity.Role.GATEWAY, "127.0.0.1", 7443, ADMIN);

        JoinToken second = registry.reissueToken("gw-1", ADMIN);

        AuditRows.Row row = record("component.join_token.reissued");
        assertThat(row.actor()).isEqualTo("admin:alice");
        assertThat(row.subject()).isEqualTo("component:gw-1");
        assertThat(row.details()).containsEntry("id", first.componentId()).containsEntry("join_token_id", second.tokenId())
                .containsEntry("join_tokens_superseded", "1");

        fixture.issue(first.componentId(), PeerIdentity.Role.GATEWAY);
        assertThatThrownBy(() -> registry.reissueToken("gw-1", ADMIN)).isInstanceOf(ConflictException.class);
        assertThatThrownBy(() -> registry.reissueToken("nobody", ADMIN)).isInstanceOf(NotFoundException.class);
        assertThat(records("component.join_token.reissued")).hasSize(1);
    }

    @Test
    void removalRecordsHowManyCertificatesWereRevoked() {
        String id = fixture.register("gw-1", PeerIdentity.Role.GATEWAY);
        fixture.issue(id, PeerIdentity.Role.GATEWAY);
        fixture.issue(id, PeerIdentity.Role.GATEWAY);

        registry.remove("gw-1", ADMIN);

        AuditRows.Row row = record("component.removed");
        assertThat(row.actor()).isEqualTo("admin:alice");
        assertThat(row.source()).isEqualTo("198.51.100.7");
        assertThat(row.subject()).isEqualTo("component:gw-1");
        assertThat(row.outcome()).isEqualTo("SUCCESS");
        assertThat(row.details()).containsEntry("id", id).containsEntry("role", "gateway")
                .containsEntry("certificates_revoked", "2").containsEntry("state", "adopted");

        assertThatThrownBy(() -> registry.remove("gw-1", ADMIN)).isInstanceOf(NotFoundException.class);
        assertThat(records("component.removed")).hasSize(1);
    }

    @Test
    void settingsChangeNamesTheFieldsThatChangedButNotTheirValues() {
        fixture.register("edge-1", PeerIdentity.Role.EDGE_PROXY);

        registry.updateSettings("edge-1", new ComponentSettings.Change(Optional.of("https://access.example.com"),
                Optional.empty(), Optional.of("maintenance at noon"), Optional.empty()), ADMIN);

        AuditRows.Row row = record("component.settings.changed");
        assertThat(row.actor()).isEqualTo("admin:alice");
        assertThat(row.subject()).isEqualTo("component:edge-1");
        assertThat(row.details()).containsEntry("changed", "public_origin,notice").containsEntry("config_version", "2")
                .doesNotContainValue("maintenance at noon");

        assertThatThrownBy(() -> registry.updateSettings("edge-1", new ComponentSettings.Change(Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.of("berlin")), ADMIN)).isInstanceOf(BadRequestException.class);
        assertThatThrownBy(() -> registry.updateSettings("edge-1", new ComponentSettings.Change(Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty()), ADMIN)).isInstanceOf(BadRequestException.class);
        assertThat(records("component.settings.changed")).hasSize(1);
    }

    @Test
    void aGatewaysLocationMoveIsNamed() {
        fixture.register("gw-1", PeerIdentity.Role.GATEWAY);

        registry.updateSettings("gw-1", new ComponentSettings.Change(Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.of("berlin")), ADMIN);
        registry.updateSettings("gw-1", new ComponentSettings.Change(Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.of("berlin")), ADMIN);

        assertThat(records("component.settings.changed")).extracting(r -> r.details().get("changed"))
                .containsExactly("location", "none");
    }

    @Test
    void joinVerdictsAreRecordedByTheComponentWithTheVerdictAsReason() {
        JoinToken token = registry.register("edge-1", PeerIdentity.Role.EDGE_PROXY, "127.0.0.1", 7443, ADMIN);
        byte[] wrong = token.secret();
        wrong[0] ^= 1;

        assertThat(registry.consumeJoinToken(token.componentId(), token.tokenId(), wrong)).isEqualTo(JoinVerdict.WRONG_SECRET);
        assertThat(registry.consumeJoinToken(token.componentId(), "0123456789abcdef", token.secret()))
                .isEqualTo(JoinVerdict.UNKNOWN);
        assertThat(registry.consumeJoinToken(token.componentId(), "'; DROP TABLE join_tokens; --", token.secret()))
                .isEqualTo(JoinVerdict.UNKNOWN);
        assertThat(registry.consumeJoinToken(token.componentId(), token.tokenId(), token.secret()))
                .isEqualTo(JoinVerdict.ACCEPTED);
        assertThat(registry.consumeJoinToken(token.componentId(), token.tokenId(), token.secret()))
                .isEqualTo(JoinVerdict.ALREADY_USED);

        AuditRows.Row accepted = record("component.join.accepted");
        assertThat(accepted.actor()).isEqualTo("component:" + token.componentId());
        assertThat(accepted.subject()).isEqualTo("component:edge-1");
        assertThat(accepted.outcome()).isEqualTo("SUCCESS");
        assertThat(accepted.details()).containsEntry("id", token.componentId()).containsEntry("join_token_id", token.tokenId());

        List<AuditRows.Row> refused = records("component.join.refused");
        assertThat(refused).extracting(AuditRows.Row::outcome).containsOnly("DENIED");
        assertThat(refused).extracting(AuditRows.Row::actor).containsOnly("component:" + token.componentId());
        assertThat(refused).extracting(AuditRows.Row::subject).containsOnly("component:edge-1");
        assertThat(refused).extracting(r -> r.details().get("reason"))
                .containsExactly("wrong_secret", "unknown", "unknown", "already_used");
        assertThat(refused).extracting(r -> r.details().get("join_token_id"))
                .containsExactly(token.tokenId(), "0123456789abcdef", "malformed", token.tokenId());
    }

    @Test
    void certificatesAreRecordedByTheComponentAsJoinThenRotation() {
        String id = fixture.register("gw-1", PeerIdentity.Role.GATEWAY);

        X509Certificate joined = fixture.issue(id, PeerIdentity.Role.GATEWAY);
        X509Certificate rotated = fixture.issue(id, PeerIdentity.Role.GATEWAY);

        List<AuditRows.Row> rows = records("component.certificate.issued");
        assertThat(rows).extracting(AuditRows.Row::actor).containsOnly("component:" + id);
        assertThat(rows).extracting(AuditRows.Row::subject).containsOnly("component:gw-1");
        assertThat(rows).extracting(AuditRows.Row::outcome).containsOnly("SUCCESS");
        assertThat(rows).extracting(r -> r.details().get("kind")).containsExactly("join", "rotation");
        assertThat(rows).extracting(r -> r.details().get("serial"))
                .containsExactly(Certificates.serialHex(joined), Certificates.serialHex(rotated));
        assertThat(rows).extracting(r -> r.details().get("not_after"))
                .containsExactly(joined.getNotAfter().toInstant().toString(), rotated.getNotAfter().toInstant().toString());
        assertThat(rows).allSatisfy(r -> assertThat(r.details()).doesNotContainKey("revoked_on_arrival"));
    }

    @Test
    void aCertificateForARemovedComponentIsRecordedAsRevokedOnArrival() {
        String id = fixture.register("gw-1", PeerIdentity.Role.GATEWAY);
        registry.remove("gw-1", ADMIN);

        fixture.issue(id, PeerIdentity.Role.GATEWAY);

        assertThat(record("component.certificate.issued").details()).containsEntry("revoked_on_arrival", "true")
                .containsEntry("kind", "join");
    }

    @Test
    void aCertificateWithTheWrongIdentityLeavesNoRecord() {
        String gateway = fixture.register("gw-1", PeerIdentity.Role.GATEWAY);
        String edge = fixture.register("edge-1", PeerIdentity.Role.EDGE_PROXY);
        X509Certificate edgeCertificate = fixture.issue(edge, PeerIdentity.Role.EDGE_PROXY);

        assertThatThrownBy(() -> registry.certificateIssued(gateway, edgeCertificate))
                .isInstanceOf(IllegalArgumentException.class);

        assertThat(records("component.certificate.issued")).extracting(AuditRows.Row::subject)
                .containsExactly("component:edge-1");
    }

    @Test
    void noJoinTokenSecretReachesTheAuditLogOrItsLogLines() {
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        lines.start();
        root.addAppender(lines);
        JoinToken first;
        JoinToken second;
        try {
            first = registry.register("gw-1", PeerIdentity.Role.GATEWAY, "127.0.0.1", 7443, ADMIN);
            second = registry.reissueToken("gw-1", ADMIN);
            registry.consumeJoinToken(first.componentId(), first.tokenId(), first.secret());
            byte[] wrong = second.secret();
            wrong[31] ^= 1;
            registry.consumeJoinToken(second.componentId(), second.tokenId(), wrong);
            registry.consumeJoinToken(second.componentId(), second.tokenId(), second.secret());
            fixture.issue(second.componentId(), PeerIdentity.Role.GATEWAY);
            registry.remove("gw-1", ADMIN);
        } finally {
            root.detachAppender(lines);
        }

        String audit = AuditRows.allText(fixture.database, fixture.auditLog);
        assertThat(audit).contains("component.registered").contains("component.join.accepted")
                .contains("component.join.refused").contains("component.removed");
        String logged = String.join("\n", lines.list.stream().map(ILoggingEvent::getFormattedMessage).toList());
        assertThat(logged).contains("action=component.join.accepted");
        for (JoinToken token : List.of(first, second)) {
            assertThat(audit).doesNotContain(token.reveal());
            assertThat(logged).doesNotContain(token.reveal());
            for (String form : AuditRows.encodings(token.secret())) {
                assertThat(audit).doesNotContain(form);
                assertThat(logged).doesNotContain(form);
            }
            for (String form : AuditRows.encodings(token.secretHash())) {
                assertThat(audit).doesNotContain(form);
            }
        }
    }
}
