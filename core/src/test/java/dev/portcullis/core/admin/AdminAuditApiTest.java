package dev.portcullis.core.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.core.audit.AuditLog;
import dev.portcullis.core.audit.AuditRows;
import dev.portcullis.core.store.Database;
import dev.portcullis.pki.join.JoinToken;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Admin changes made over HTTP are recorded in the audit log by the admin token that made them
 * ({@code admin:<name>}) and the address the request came from, and no token or preshared key the
 * API handed out is in the log.
 */
class AdminAuditApiTest {

    private static CoreUnderTest core;
    private static String bootstrap;

    @BeforeAll
    static void startCore() throws Exception {
        core = CoreUnderTest.start();
        bootstrap = core.bootstrapToken();
    }

    @AfterAll
    static void stopCore() {
        core.close();
    }

    private static List<AuditRows.Row> records(String action) {
        return AuditRows.of(core.context.getBean(Database.class), core.context.getBean(AuditLog.class), action);
    }

    private static List<AuditRows.Row> recordsAbout(String action, String subject) {
        return records(action).stream().filter(r -> r.subject().equals(subject)).toList();
    }

    private static String field(String json, String name) {
        return json.replaceAll("(?s).*\"" + name + "\":\"([^\"]*)\".*", "$1");
    }

    private static HttpResponse<String> ok(HttpResponse<String> response, int status) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        return response;
    }

    /** The admin API reaches core over loopback here, so that is the source every record must name. */
    private static void byAdminFromLoopback(AuditRows.Row row, String tokenName) {
        assertThat(row.actor()).isEqualTo("admin:" + tokenName);
        assertThat(row.source()).isEqualTo("127.0.0.1");
        assertThat(row.outcome()).isEqualTo("SUCCESS");
    }

    @Test
    void everyAdminChangeNamesTheAdminTokenAndSourceAndNoSecretIsRecorded() throws Exception {
        // A second admin token, created by the bootstrap token; everything after is done with it.
        String ops = field(ok(core.call("POST", "/api/v1/admin-tokens", bootstrap, "{\"name\":\"ops-audit\"}"), 201).body(),
                "token");
        byAdminFromLoopback(recordsAbout("admin_token.created", "admin_token:ops-audit").get(0), "bootstrap");
        assertThat(recordsAbout("admin_token.created", "admin_token:bootstrap")).singleElement()
                .satisfies(r -> assertThat(r.actor()).isEqualTo("core"))
                .satisfies(r -> assertThat(r.details()).containsEntry("bootstrap", "true"));

        String registered = ok(core.call("POST", "/api/v1/components", ops,
                "{\"name\":\"gw-audit-1\",\"role\":\"gateway\",\"address\":\"127.0.0.1:7450\"}"), 201).body();
        String firstJoinToken = field(registered, "joinToken");
        String componentId = JoinToken.parse(firstJoinToken).componentId();
        ok(core.call("POST", "/api/v1/components", ops,
                "{\"name\":\"gw-audit-1\",\"role\":\"edge-proxy\",\"address\":\"127.0.0.1:7451\"}"), 409);
        ok(core.call("PUT", "/api/v1/components/gw-audit-1/settings", ops, "{\"location\":\"paris\",\"mtu\":1380}"), 200);
        String secondJoinToken = field(ok(core.call("POST", "/api/v1/components/gw-audit-1/token", ops, null), 201).body(),
                "joinToken");

        core.adoptedGateway("gw-audit-2", "paris");
        ok(core.call("PUT", "/api/v1/locations/paris/acl", ops, "{\"rules\":[{\"sources\":[\"10.90.0.0/24\"],"
                + "\"destinations\":[\"192.168.90.0/24\"],\"protocol\":\"tcp\",\"ports\":[\"443\"]}]}"), 200);
        ok(core.call("PUT", "/api/v1/locations/paris/acl", ops, "{\"rules\":[{\"sources\":[\"10.90.0.0/24\"],"
                + "\"destinations\":[\"0.0.0.0/0\"],\"protocol\":\"icmp\",\"ports\":[\"80\"]}]}"), 400);
        byte[] keyBytes = new byte[32];
        new SecureRandom().nextBytes(keyBytes);
        String key = Base64.getEncoder().encodeToString(keyBytes);
        String admitted = ok(core.call("POST", "/api/v1/locations/paris/peers", ops,
                "{\"publicKey\":\"" + key + "\",\"allowedIps\":[\"10.90.0.2/32\"],\"lifetimeSeconds\":3600}"), 201).body();
        byte[] psk = Base64.getDecoder().decode(field(admitted, "presharedKey"));
        ok(core.call("DELETE", "/api/v1/locations/paris/peers/" + key.replace('+', '-').replace('/', '_'), ops, null), 200);
        ok(core.call("DELETE", "/api/v1/components/gw-audit-1", ops, null), 200);

        AuditRows.Row registration = recordsAbout("component.registered", "component:gw-audit-1").stream()
                .filter(r -> r.actor().startsWith("admin:")).findFirst().orElseThrow();
        byAdminFromLoopback(registration, "ops-audit");
        assertThat(registration.details()).containsEntry("id", componentId).containsEntry("role", "gateway")
                .containsEntry("address", "127.0.0.1:7450");
        assertThat(recordsAbout("component.registered", "component:gw-audit-1")).as("the refused duplicate").hasSize(1);
        AuditRows.Row settings = recordsAbout("component.settings.changed", "component:gw-audit-1").get(0);
        byAdminFromLoopback(settings, "ops-audit");
        assertThat(settings.details()).containsEntry("changed", "location,mtu");
        byAdminFromLoopback(recordsAbout("component.join_token.reissued", "component:gw-audit-1").get(0), "ops-audit");
        AuditRows.Row acl = recordsAbout("location.acl.changed", "location:paris").get(0);
        byAdminFromLoopback(acl, "ops-audit");
        assertThat(acl.details()).containsEntry("revision", "1").containsEntry("rules", "1");
        assertThat(recordsAbout("location.acl.changed", "location:paris")).as("the refused ACL").hasSize(1);
        AuditRows.Row admission = recordsAbout("peer.admitted", "peer:" + key).get(0);
        byAdminFromLoopback(admission, "ops-audit");
        assertThat(admission.details()).containsEntry("location", "paris").containsEntry("public_key", key)
                .containsEntry("session", field(admitted, "sessionId")).containsEntry("lifetime_seconds", "3600");
        byAdminFromLoopback(recordsAbout("peer.evicted", "peer:" + key).get(0), "ops-audit");
        AuditRows.Row removal = recordsAbout("component.removed", "component:gw-audit-1").get(0);
        byAdminFromLoopback(removal, "ops-audit");
        assertThat(removal.details()).containsEntry("certificates_revoked", "0");

        String audit = AuditRows.allText(core.context.getBean(Database.class), core.context.getBean(AuditLog.class));
        for (String secret : List.of(ops, bootstrap, firstJoinToken, secondJoinToken)) {
            assertThat(audit).doesNotContain(secret);
            String secretPart = secret.split("\\.")[secret.startsWith("pca1") ? 2 : 3];
            assertThat(audit).doesNotContain(secretPart);
            for (String form : AuditRows.encodings(Base64.getUrlDecoder().decode(secretPart))) {
                assertThat(audit).doesNotContain(form);
            }
        }
        for (String form : AuditRows.encodings(psk)) {
            assertThat(audit).doesNotContain(form);
        }
    }
}
