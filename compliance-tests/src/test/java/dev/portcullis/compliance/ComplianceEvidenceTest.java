package dev.portcullis.compliance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.compliance.evidence.Check;
import dev.portcullis.compliance.evidence.EvidenceReport;
import dev.portcullis.compliance.evidence.TunnelChecks;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The compliance evidence suite: a segmented deployment ({@link SegmentedDeployment}: private
 * zone, DMZ, device zone, "internet"), every evidence check run against it, and the evidence report
 * (HTML, JSON and the JSON's SHA-256) written to {@code compliance-tests/<build dir>/evidence/compliance/}
 * and filed into the deployment's own audit chain by its hash. Every check is run and recorded
 * first, then the test asserts they all passed, so a failing control still leaves a report that
 * says which one and why. {@link BrokenControlsTest} shows each check failing when its control is
 * broken.
 */
class ComplianceEvidenceTest {

    static final String USER = "evidence-auditee";
    static final String EMAIL = "evidence.auditee@example.com";
    static final String DEVICE_USER = "dana";
    static final String DEVICE_EMAIL = "dana@example.com";

    @Test
    void everyControlHoldsOnTheSegmentedDeploymentAndTheEvidenceReportIsFiled() throws Exception {
        try (SegmentedDeployment deployment = SegmentedDeployment.start(
                new SegmentedDeployment.Options("evidence", "10.77", "10.78.0", false))) {
            SegmentedEvidence evidence = new SegmentedEvidence(deployment);
            List<Check> results = new ArrayList<>();

            results.add(evidence.coreSockets());
            results.add(evidence.scanFromTheInternet());
            results.add(evidence.tls());
            results.add(evidence.controlListeners(evidence.controlListeners()));
            results.add(evidence.socketInventory(evidence.tlsListeners()));

            deployment.addUser(USER, EMAIL, "Evidence Auditee");
            String token = deployment.invite(USER).token();
            SegmentedEvidence.Redemptions redemptions = evidence.new Redemptions();
            results.add(evidence.singleUseInvites(redemptions, token));
            // Continue that enrollment to a TOTP secret, so PC-02 looks for real user secrets, not only patterns.
            Map<String, String> userValues = new LinkedHashMap<>();
            userValues.put("user e-mail", EMAIL);
            userValues.put("invite token", token);
            userValues.putAll(evidence.enrollUpToTotp(redemptions.answers.get(0)));
            results.add(evidence.edgeHoldsNoUserData(userValues));

            SegmentedDevice laptop = SegmentedDevice.enroll(deployment, DEVICE_USER, DEVICE_EMAIL);
            results.add(TunnelChecks.noTunnelWithoutMfa(laptop));
            results.add(TunnelChecks.totpCodeIsAcceptedOnce(laptop));
            results.add(TunnelChecks.repeatedWrongCodesLockTheUserOut(laptop));
            results.add(TunnelChecks.gatewayEndsAnExpiredSessionWithCoreDown(laptop, SegmentedDevice.DEFAULT_LIFETIME));

            // Last, so the chain it verifies holds every event of the checks before it.
            results.add(evidence.auditChain(deployment.work.resolve("evidence-audit")));

            EvidenceReport report = EvidenceReport.of("Portcullis compliance evidence",
                    versions(deployment), results);
            Path dir = Browser.evidenceDirectory("compliance");
            String sha256 = report.write(dir);
            System.out.println("compliance evidence report: " + dir.resolve(EvidenceReport.HTML_FILE) + "\nSHA-256 of "
                    + EvidenceReport.JSON_FILE + ": " + sha256);
            for (Check check : results) {
                System.out.println(check.id() + " " + check.result() + ": " + check.reason());
            }

            assertThat(Files.readString(dir.resolve(EvidenceReport.SHA256_FILE))).startsWith(sha256 + "  ");
            String html = Files.readString(dir.resolve(EvidenceReport.HTML_FILE), StandardCharsets.UTF_8);
            // Self-contained: no script, no element that loads anything; URLs appear only as escaped text in observations.
            assertThat(html).doesNotContain("<script", "<link", "<img", "<iframe", "src=", "href=\"http", "url(", "@import");
            String json = Files.readString(dir.resolve(EvidenceReport.JSON_FILE), StandardCharsets.UTF_8);
            for (String secret : userValues.values()) {
                assertThat(html).as("the report shows no user secret").doesNotContain(secret);
                assertThat(json).as("the report shows no user secret").doesNotContain(secret);
            }
            // The report goes into the audit chain by its hash: the file an auditor is handed can be shown
            // to be the one this run produced.
            long passed = results.stream().filter(Check::passed).count();
            AdminHttp.Reply filed = deployment.adminHttp().post("/api/v1/audit/evidence", Map.of("name", EvidenceReport.JSON_FILE,
                    "sha256", sha256, "summary", results.size() + " checks, " + passed + " passed"));
            assertThat(filed.status()).as(String.valueOf(filed.body())).isEqualTo(201);
            long seq = filed.body().path("seq").asLong();
            assertThat(deployment.auditRecords()).anySatisfy(record -> {
                assertThat(record.path("seq").asLong()).isEqualTo(seq);
                assertThat(record.toString()).contains("\"action\":\"compliance.evidence.filed\"")
                        .contains("\"sha256\":\"" + sha256 + "\"");
            });
            System.out.println("filed into the audit log as record " + seq);

            assertThat(results).as("every check PASS (see " + dir.resolve(EvidenceReport.HTML_FILE) + ")")
                    .allSatisfy(check -> assertThat(check.result()).as(check.id() + ": " + check.reason())
                            .isEqualTo(Check.Result.PASS));
        }
    }

    /** The versions under test, and the deployment's zones as an auditor needs them to read the observations. */
    static Map<String, String> versions(SegmentedDeployment deployment) {
        Map<String, String> versions = new LinkedHashMap<>(EvidenceReport.versionsUnderTest(
                System.getProperty("portcullis.version", "0.1.0-SNAPSHOT"), Artifacts.root()));
        versions.put("zone: private (core, PostgreSQL)", deployment.privateZone.name() + ", " + deployment.coreAddress
                + "; core's admin API on 127.0.0.1:" + SegmentedDeployment.ADMIN_PORT + " inside the zone");
        versions.put("zone: DMZ (edge-proxy, gateway)", deployment.dmz.name() + ", " + deployment.dmzPrivateAddress
                + " (control ports, facing the private zone), " + deployment.dmzPublicAddress + " (public HTTPS "
                + SegmentedDeployment.EDGE_PUBLIC_PORT + ", WireGuard " + SegmentedDeployment.WIREGUARD_PORT + ")");
        versions.put("zone: internet", deployment.internet.name() + ", " + deployment.internetAddress
                + "; routes to the DMZ and the private zone, no firewall in between");
        versions.put("zone: device", deployment.device.name() + ", portcullis-agent, default route via the internet");
        versions.put("zone: services behind the gateway", deployment.services.name() + ", " + deployment.serviceAddress);
        return versions;
    }
}
