package dev.portcullis.core.admin;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Answers that carry a secret shown once never print it in toString (a log line, a debugger, an exception). */
class AdminApiRecordsTest {

    private static final String SECRET = "pcj_0123456789abcdef.SECRETSECRETSECRETSECRETSECRETSECRETSECRET";

    @Test
    void oneTimeSecretsInAdminAnswersAreRedacted() {
        assertThat(new AdminApi.RegisteredComponent("id", "edge-1", "EDGE_PROXY", "127.0.0.1:7443", SECRET, 3600).toString())
                .doesNotContain(SECRET).contains("edge-1");
        assertThat(new AdminApi.JoinTokenIssued("edge-1", SECRET, 3600).toString()).doesNotContain(SECRET);
        assertThat(new AdminApi.AdminTokenIssued("0123456789abcdef", "ops", SECRET).toString()).doesNotContain(SECRET);
        assertThat(new AdminApi.InviteIssued("alice", "https://localhost/enroll/" + SECRET, "2026-11-23T00:00:00Z", "edge-1")
                .toString()).doesNotContain(SECRET);
    }
}
