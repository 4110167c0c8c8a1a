package dev.portcullis.compliance.evidence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.compliance.EvidenceTargets;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The compliance evidence suite, first slice: six checks against the shared quickstart deployment,
 * written as an evidence report to {@code compliance-tests/<build dir>/evidence/compliance/}.
 * Every check is first run and recorded, then the test asserts they all passed, so a failing
 * control still leaves a report that says which one and why.
 *
 * <p>Filing the report's hash in the audit log is not done: core has no endpoint to append an
 * arbitrary event, and this slice does not change core. The SHA-256 of the JSON is written beside
 * it ({@value EvidenceReport#SHA256_FILE}).
 */
@ExtendWith(EvidenceTargets.class)
class ComplianceSuiteTest {

    private static final String REDEEM = "/api/v1/enroll/redeem";
    /** This suite's own rate-limit bucket on the edge (the enrollment tests use 127.0.0.11 to .18). */
    private static final String SOURCE = "127.0.0.91";
    private static final String USER = "evidence-auditee";
    private static final String EMAIL = "evidence.auditee@example.com";

    @Test
    void everyCheckOfTheSlicePassesAndTheEvidenceReportIsWritten(LiveDeployment deployment) throws Exception {
        Checks checks = new Checks(EvidenceTargets::listening);
        List<Check> results = new ArrayList<>();

        results.add(checks.coreListensOnlyOnItsInternalAdminAddress(deployment.pid("core"),
                "127.0.0.1:" + deployment.adminPort()));

        deployment.addUser(USER, EMAIL, "Evidence Auditee");
        String token = deployment.inviteToken(USER);
        List<HttpAnswer> redemptions = new ArrayList<>();
        results.add(checks.inviteLinksAreSingleUse(fresh -> {
            HttpAnswer answer = deployment.edgePost(SOURCE, REDEEM, Map.of("token", fresh));
            redemptions.add(answer);
            return answer;
        }, token, deployment.neutralInvalidInviteBody()));

        // Continue that enrollment to a TOTP secret, so PC-02 looks for real user secrets, not only patterns.
        Map<String, String> userValues = new LinkedHashMap<>();
        userValues.put("user e-mail", EMAIL);
        userValues.put("invite token", token);
        userValues.putAll(enrollUpToTotp(deployment, redemptions.get(0)));
        results.add(checks.edgeHoldsNoUserDataOrSecrets(deployment.edgeState(), deployment.pid("edge-1"), userValues));

        results.add(checks.edgeTlsPolicy(deployment.edgePublicPort()));

        Path rogue = Files.createDirectories(deployment.work().resolve("evidence-rogue-client"));
        CommandResult made = ExternalCommand.run(Duration.ofSeconds(60), "openssl", "req", "-x509", "-newkey", "ec",
                "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", rogue.resolve("key.pem").toString(),
                "-out", rogue.resolve("cert.pem").toString(), "-subj", "/CN=core", "-days", "1");
        assertThat(made.exitCode()).as("a rogue client certificate (its own CA, CN=core): " + made.output()).isZero();
        results.add(checks.controlListenersRequireCoresCertificate(deployment.controlPorts(), rogue.resolve("cert.pem"),
                rogue.resolve("key.pem")));

        results.add(checks.auditChainIsTamperEvident(deployment::admin, deployment.work().resolve("evidence-audit")));

        EvidenceReport report = EvidenceReport.of("Portcullis compliance evidence — slice 1",
                EvidenceReport.versionsUnderTest(deployment.portcullisVersion(), deployment.repositoryRoot()), results);
        Path dir = deployment.evidenceDirectory("compliance");
        String sha256 = report.write(dir);
        System.out.println("compliance evidence report: " + dir.resolve(EvidenceReport.HTML_FILE) + "\nSHA-256 of "
                + EvidenceReport.JSON_FILE + ": " + sha256);
        for (Check check : results) {
            System.out.println(check.id() + " " + check.result() + ": " + check.reason());
        }

        assertThat(EvidenceReport.sha256(Files.readAllBytes(dir.resolve(EvidenceReport.JSON_FILE)))).isEqualTo(sha256);
        assertThat(Files.readString(dir.resolve(EvidenceReport.SHA256_FILE))).startsWith(sha256 + "  ");
        String html = Files.readString(dir.resolve(EvidenceReport.HTML_FILE), StandardCharsets.UTF_8);
        // Self-contained: no script, no element that loads anything; URLs appear only as escaped text in observations.
        assertThat(html).doesNotContain("<script", "<link", "<img", "<iframe", "src=", "href=\"http", "url(", "@import")
                .doesNotContain(token);
        assertThat(Files.readString(dir.resolve(EvidenceReport.JSON_FILE))).doesNotContain(token);
        for (String secret : userValues.values()) {
            assertThat(html).as("the report shows no user value").doesNotContain(secret);
        }
        // The report itself goes into the audit chain, by its hash: the file an auditor is handed can be
        // shown to be the one this run produced.
        long passed = results.stream().filter(check -> check.result() == Check.Result.PASS).count();
        long seq = deployment.fileEvidence(EvidenceReport.JSON_FILE, sha256, results.size() + " checks, " + passed + " passed");
        assertThat(deployment.auditRecord(seq)).contains("\"action\":\"compliance.evidence.filed\"")
                .contains("\"sha256\":\"" + sha256 + "\"");
        System.out.println("filed into the audit log as record " + seq);

        assertThat(results).as("every check PASS (see " + dir.resolve(EvidenceReport.HTML_FILE) + ")")
                .allSatisfy(check -> assertThat(check.result()).as(check.id() + ": " + check.reason())
                        .isEqualTo(Check.Result.PASS));
    }

    /** Sets a password and starts TOTP registration in the session the first redemption opened; returns the user values it made. */
    private static Map<String, String> enrollUpToTotp(LiveDeployment deployment, HttpAnswer redeemed) throws Exception {
        assertThat(redeemed.status()).as("the first redemption: " + redeemed).isEqualTo(200);
        String cookie = null;
        for (String setCookie : redeemed.headers().getOrDefault("set-cookie", List.of())) {
            String first = setCookie.split(";", 2)[0].strip();
            if (first.startsWith("__Host-portcullis-enroll=")) {
                cookie = first.substring("__Host-portcullis-enroll=".length());
            }
        }
        assertThat(cookie).as("the enrollment cookie").isNotNull();
        String csrf = new com.fasterxml.jackson.databind.ObjectMapper().readTree(redeemed.body()).path("csrf").asText();
        String[] session = {"Cookie", "__Host-portcullis-enroll=" + cookie, "X-Portcullis-CSRF", csrf,
                "Origin", deployment.origin()};
        String password = "Granite-willow-" + Long.toHexString(System.nanoTime()) + "-7";
        HttpAnswer passwordSet = deployment.edgePost(SOURCE, "/api/v1/enroll/password", Map.of("password", password), session);
        assertThat(passwordSet.status()).as(passwordSet.toString()).isEqualTo(204);
        HttpAnswer totp = deployment.edgePost(SOURCE, "/api/v1/enroll/totp/start", Map.of(), session);
        assertThat(totp.status()).as(totp.toString()).isEqualTo(200);
        String secret = new com.fasterxml.jackson.databind.ObjectMapper().readTree(totp.body()).path("secret").asText();
        assertThat(secret).as("a TOTP secret").isNotBlank();
        Map<String, String> values = new LinkedHashMap<>();
        values.put("TOTP secret", secret);
        values.put("enrollment session cookie", cookie);
        values.put("user password", password);
        return values;
    }
}
