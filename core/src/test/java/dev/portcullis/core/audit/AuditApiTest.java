package dev.portcullis.core.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.core.admin.CoreUnderTest;
import dev.portcullis.core.store.Database;
import java.io.ByteArrayInputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The audit endpoints of a real core admin API (HTTP on loopback, real database, wiring by AuditFactory). */
class AuditApiTest {

    private static CoreUnderTest core;
    private static String token;

    @BeforeAll
    static void startCore() throws Exception {
        core = CoreUnderTest.start();
        token = core.bootstrapToken();
    }

    @AfterAll
    static void stopCore() {
        core.close();
    }

    @Test
    void everyAuditEndpointNeedsAnAdminToken() throws Exception {
        for (String[] call : List.of(new String[] {"GET", "/api/v1/audit/records"}, new String[] {"POST", "/api/v1/audit/verify"},
                new String[] {"GET", "/api/v1/audit/public-key"}, new String[] {"POST", "/api/v1/audit/checkpoint"},
                new String[] {"POST", "/api/v1/audit/evidence"})) {
            HttpResponse<String> response = core.call(call[0], call[1], null, null);
            assertThat(response.statusCode()).as(call[1]).isEqualTo(401);
            assertThat(core.call(call[0], call[1], "pca1.0123456789abcdef." + "A".repeat(43), null).statusCode())
                    .as(call[1]).isEqualTo(401);
        }
    }

    @Test
    void anEvidenceReportIsFiledIntoTheChainByItsHashAndBadFilingsAreRefused() throws Exception {
        String sha = "ab".repeat(32);
        HttpResponse<String> filed = core.call("POST", "/api/v1/audit/evidence", token,
                "{\"name\":\"compliance-report.json\",\"sha256\":\"" + sha + "\",\"summary\":\"5 checks, 5 passed\"}");
        assertThat(filed.statusCode()).as(filed.body()).isEqualTo(201);
        long seq = Long.parseLong(filed.body().replaceAll(".*\"seq\":(\\d+).*", "$1"));
        core.context.getBean(AuditLog.class).sync();
        String record = core.call("GET", "/api/v1/audit/records?from=" + seq + "&limit=1", token, null).body();
        assertThat(record).contains("\"seq\":" + seq).contains("\"action\":\"compliance.evidence.filed\"")
                .contains("\"subject\":\"evidence:compliance-report.json\"").contains("\"sha256\":\"" + sha + "\"")
                .contains("\"summary\":\"5 checks, 5 passed\"").contains("\"actor\":\"admin:bootstrap\"");

        for (String bad : List.of("{\"name\":\"r.json\",\"sha256\":\"" + sha.toUpperCase() + "\"}",
                "{\"name\":\"../etc/passwd\",\"sha256\":\"" + sha + "\"}",
                "{\"name\":\"r.json\",\"sha256\":\"abc\"}",
                "{\"name\":\"r.json\",\"sha256\":\"" + sha + "\",\"summary\":\"two\\nlines\"}")) {
            HttpResponse<String> refused = core.call("POST", "/api/v1/audit/evidence", token, bad);
            assertThat(refused.statusCode()).as(bad).isEqualTo(400);
            assertThat(refused.body()).doesNotContain("Exception");
        }
    }

    @Test
    void anAuditorPagesSignsFetchesTheKeyAndVerifiesThroughTheAdminApi() throws Exception {
        AuditLog log = core.context.getBean(AuditLog.class);
        long base = log.sync().seq(); // whatever core itself recorded while starting
        for (int i = 0; i < 5; i++) {
            log.append(AuditEvent.of("admin:alice", "invite.issued", "user-" + i, AuditEvent.Outcome.SUCCESS));
        }
        core.context.getBean(Database.class).inTransaction(tx -> {
            log.append(tx, AuditEvent.of("user:bob", "mfa.totp.failed", "bob", AuditEvent.Outcome.DENIED).withSource("10.0.0.9"));
            return null;
        });

        HttpResponse<String> checkpoint = core.call("POST", "/api/v1/audit/checkpoint", token, null);
        assertThat(checkpoint.statusCode()).isEqualTo(200);
        assertThat(checkpoint.body()).startsWith("{\"seq\":" + (base + 6) + ",\"hash\":\"");

        HttpResponse<String> page = core.call("GET", "/api/v1/audit/records?from=0&limit=2", token, null);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/x-ndjson"));
        assertThat(page.headers().firstValue(AuditController.NEXT_CURSOR)).hasValue("3");
        assertThat(page.body().lines().filter(line -> line.startsWith("{\"type\":\"record\""))).hasSize(2);
        String rest = core.call("GET", "/api/v1/audit/records?from=3", token, null).body();
        assertThat(rest).contains("\"action\":\"mfa.totp.failed\"").contains("\"source_address\":\"10.0.0.9\"")
                .endsWith("}\n").contains("{\"type\":\"checkpoint\",\"seq\":" + (base + 6) + ",");

        HttpResponse<String> pem = core.call("GET", "/api/v1/audit/public-key", token, null);
        assertThat(pem.statusCode()).isEqualTo(200);
        AuditPublicKey key = AuditPublicKey.fromPem(pem.body());
        assertThat(pem.headers().firstValue("X-Audit-Key-Id")).hasValue(key.keyId());
        AuditVerification offline = AuditVerifier.verifyStream(new ByteArrayInputStream((page.body() + rest)
                .getBytes(StandardCharsets.UTF_8)), List.of(key), AuditVerifier.Options.STRICT);
        assertThat(offline.intact()).as(offline.summary()).isTrue();
        assertThat(offline.records()).isEqualTo(base + 6);

        HttpResponse<String> verify = core.call("POST", "/api/v1/audit/verify", token, null);
        assertThat(verify.statusCode()).isEqualTo(200);
        assertThat(verify.body()).contains("\"intact\":true").contains("\"records\":" + (base + 6)).doesNotContain("\"problem\"");
        String afterVerify = core.call("GET", "/api/v1/audit/records?from=" + (base + 7), token, null).body();
        assertThat(afterVerify).contains("\"actor\":\"admin:bootstrap\"").contains("\"action\":\"audit.verified\"")
                .contains("\"outcome\":\"SUCCESS\"");

        long edited = base + 4;
        core.context.getBean(Database.class).inTransaction(tx -> {
            try (var update = tx.prepareStatement("UPDATE audit_records SET subject = 'nobody' WHERE seq = " + edited)) {
                update.executeUpdate();
            }
            return null;
        });
        HttpResponse<String> broken = core.call("POST", "/api/v1/audit/verify", token, null);
        assertThat(broken.statusCode()).isEqualTo(200);
        assertThat(broken.body()).contains("\"intact\":false").contains("\"problem\":\"HASH_MISMATCH\"")
                .contains("\"brokenSeq\":" + edited);
        assertThat(core.call("GET", "/api/v1/audit/records?from=" + (base + 8), token, null).body())
                .contains("\"action\":\"audit.verified\"").contains("\"outcome\":\"FAILURE\"")
                .contains("\"problem\":\"HASH_MISMATCH\"");
    }

    @Test
    void badPagingIsRefusedWithASafeMessage() throws Exception {
        HttpResponse<String> zero = core.call("GET", "/api/v1/audit/records?limit=0", token, null);
        assertThat(zero.statusCode()).isEqualTo(400);
        assertThat(zero.body()).isEqualTo("{\"error\":\"limit must be between 1 and 10000\"}");
        assertThat(core.call("GET", "/api/v1/audit/records?from=-1", token, null).statusCode()).isEqualTo(400);
        HttpResponse<String> text = core.call("GET", "/api/v1/audit/records?from=abc", token, null);
        assertThat(text.statusCode()).isEqualTo(400);
        assertThat(text.body()).doesNotContain("abc").doesNotContain("Exception");
    }
}
