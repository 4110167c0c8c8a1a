package dev.portcullis.compliance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.compliance.evidence.Check;
import dev.portcullis.compliance.evidence.EvidenceReport;
import dev.portcullis.compliance.evidence.HttpAnswer;
import dev.portcullis.compliance.evidence.NetworkChecks;
import dev.portcullis.compliance.evidence.TunnelChecks;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every evidence check can fail: a throwaway {@link SegmentedDeployment} has each control broken
 * in turn, the way an operator's mistake, a bug or an attacker would break it, and the same check
 * the compliance suite runs ({@link SegmentedEvidence}) must then report FAIL for that control.
 * The failing report is kept too ({@code evidence/compliance-broken/}), so an auditor can see what
 * a failed control looks like.
 */
class BrokenControlsTest {

    private static final String USER = "broken-auditee";
    private static final String EMAIL = "broken.auditee@example.com";
    private static final String DEVICE_USER = "erin";
    private static final String DEVICE_EMAIL = "erin@example.com";
    private static final int LEGACY_FRONT_PORT = 9443;
    /** What each check's FAIL reason must say for its break (any one of the phrases). */
    private static final Map<String, List<String>> BECAUSE = Map.ofEntries(
            Map.entry("PC-01", List.of("10.76.1.1:8080 (not loopback)")),
            Map.entry("PC-07", List.of("8080/tcp")),
            Map.entry("PC-12", List.of("tcp6 10.76.1.1:8080", "tcp 10.76.1.1:8080")),
            Map.entry("PC-04", List.of("TLS 1.0 accepted")),
            Map.entry("PC-06", List.of("through a TLS terminator accepted a client with no client certificate")),
            Map.entry("PC-03", List.of("the link is reusable")),
            Map.entry("PC-02", List.of("contains the TOTP secret", "contains the user e-mail")),
            Map.entry("PC-08", List.of("with no session the device key")),
            Map.entry("PC-09", List.of("the same code brought the tunnel up a second time")),
            Map.entry("PC-10", List.of("no lockout after")),
            Map.entry("PC-11", List.of("was still a peer", "a peer again")),
            Map.entry("PC-05", List.of("does not verify")));
    private static final int OPEN_CONTROL_PORT = 7445;

    @Test
    void eachCheckFailsWhenItsControlIsBrokenInAThrowawayDeployment() throws Exception {
        // Broken from the start: core's admin API on the private zone's address instead of loopback. Core
        // allows that (it is a private address), but then core has a socket other zones can reach.
        try (SegmentedDeployment deployment = SegmentedDeployment.start(
                new SegmentedDeployment.Options("broken", "10.76", "10.75.0", true))) {
            SegmentedEvidence evidence = new SegmentedEvidence(deployment);
            Map<String, Check> results = new LinkedHashMap<>();

            results.put("core's admin API bound to the private zone's address", evidence.coreSockets());
            results.put("core's admin API bound to the private zone's address, scanned from the internet",
                    evidence.scanFromTheInternet());
            results.put("core's admin API bound to the private zone's address, a socket no other check covers",
                    evidence.socketInventory(evidence.tlsListeners()));

            // PC-04: a legacy TLS terminator in front of the edge-proxy's public HTTPS (TLS 1.0, every suite).
            String legacy = deployment.tlsFront("legacy-public", deployment.dmzPublicAddress, LEGACY_FRONT_PORT,
                    deployment.dmzPublicAddress + ":" + SegmentedDeployment.EDGE_PUBLIC_PORT,
                    "verify=0", "cipher=ALL:@SECLEVEL=0", "openssl-min-proto-version=TLS1");
            List<NetworkChecks.TlsListener> withFront = new ArrayList<>(evidence.tlsListeners());
            withFront.add(new NetworkChecks.TlsListener("public HTTPS through the operator's TLS terminator", evidence.internet(),
                    deployment.dmzPublicAddress, LEGACY_FRONT_PORT));
            results.put("a TLS 1.0 terminator (" + legacy + ") in front of the edge-proxy's public HTTPS",
                    NetworkChecks.tlsPolicy(withFront));

            // PC-06: the gateway's control port offered through a TLS terminator that asks for no client certificate.
            String open = deployment.tlsFront("open-control", deployment.dmzPrivateAddress, OPEN_CONTROL_PORT,
                    deployment.dmzPrivateAddress + ":" + SegmentedDeployment.GATEWAY_CONTROL_PORT, "verify=0");
            Map<String, String> controls = new LinkedHashMap<>(evidence.controlListeners());
            controls.put("gateway control through a TLS terminator", open);
            results.put("the gateway's control port behind a terminator (" + open + ") that asks for no client certificate",
                    evidence.controlListeners(controls));

            // PC-03: the invite's use is undone in the database after the first redemption, as a core that
            // forgot to mark it used would leave it.
            deployment.addUser(USER, EMAIL, "Broken Auditee");
            String token = deployment.invite(USER).token();
            SegmentedEvidence.Redemptions redemptions = evidence.new Redemptions();
            results.put("the invite's use undone in the database between the two redemptions",
                    evidence.checks.inviteLinksAreSingleUse(fresh -> {
                        HttpAnswer answer = redemptions.redeem(fresh);
                        forgetRedemption(deployment, fresh);
                        return answer;
                    }, token, EnrollmentDeployment.INVALID_INVITE_BODY));

            // PC-02: the edge-proxy caches what it saw of a user on disk.
            Map<String, String> userValues = new LinkedHashMap<>();
            userValues.put("user e-mail", EMAIL);
            userValues.putAll(evidence.enrollUpToTotp(redemptions.answers.get(0)));
            Path cache = Files.createDirectories(deployment.edgeState().resolve("cache"));
            Files.writeString(cache.resolve("enrollments.json"), "{\"email\":\"" + EMAIL + "\",\"totp\":\""
                    + userValues.get("TOTP secret") + "\"}\n");
            results.put("the edge-proxy caches a user's e-mail and TOTP secret in its state directory",
                    evidence.edgeHoldsNoUserData(userValues));

            // The tunnel controls, on an enrolled device, each broken and then put right again.
            SegmentedDevice laptop = SegmentedDevice.enroll(deployment, DEVICE_USER, DEVICE_EMAIL);
            String admitted = BrokenTunnels.admitWithoutMfa(deployment, laptop);
            results.put("the device admitted by an admin without MFA (" + admitted + ")", TunnelChecks.noTunnelWithoutMfa(laptop));
            deployment.admin("peer", "evict", laptop.location(), laptop.deviceKey());
            assertThat(laptop.gatewayPeers()).as("the hand admission is gone again").doesNotContain(laptop.deviceKey());

            BrokenTunnels.ForgettingSpentCodes forgetting = new BrokenTunnels.ForgettingSpentCodes(deployment, laptop);
            results.put("the spent TOTP step erased from the database after each accepted code",
                    TunnelChecks.totpCodeIsAcceptedOnce(forgetting));
            assertThat(forgetting.erasures()).as("spent steps erased").isPositive();

            BrokenTunnels.WithoutFailureCounts uncounted = new BrokenTunnels.WithoutFailureCounts(deployment, laptop);
            results.put("core's failure counters deleted after each attempt", TunnelChecks.repeatedWrongCodesLockTheUserOut(uncounted));
            assertThat(uncounted.erasedRows()).as("failure rows deleted").isPositive();

            BrokenTunnels.IgnoringExpiry ignoring = new BrokenTunnels.IgnoringExpiry(deployment, laptop);
            try {
                results.put("the expired peer put back on the gateway's interface by hand while core is down",
                        TunnelChecks.gatewayEndsAnExpiredSessionWithCoreDown(ignoring, SegmentedDevice.DEFAULT_LIFETIME));
            } finally {
                ignoring.stopWatching();
            }
            assertThat(ignoring.putBack()).as("times the peer was put back").isNotEmpty();

            // PC-05: someone with access to the database edits an audit record.
            long edited = editAuditRecord(deployment);
            results.put("audit record " + edited + " edited in the database", evidence.auditChain(deployment.work.resolve("broken-audit")));

            List<Check> checks = new ArrayList<>(results.values());
            EvidenceReport report = EvidenceReport.of("Portcullis compliance evidence: the throwaway deployment with each control broken",
                    ComplianceEvidenceTest.versions(deployment), checks);
            Path dir = Browser.evidenceDirectory("compliance-broken");
            report.write(dir);
            results.forEach((broken, check) -> System.out.println(broken + " -> " + check.id() + " " + check.result() + ": "
                    + check.reason()));

            // FAIL, and for the reason the break gives: a check that merely errors proves nothing.
            results.forEach((broken, check) -> {
                assertThat(check.result())
                        .as(check.id() + " with " + broken + ": " + check.reason() + " (" + dir.resolve(EvidenceReport.HTML_FILE) + ")")
                        .isEqualTo(Check.Result.FAIL);
                assertThat(check.reason()).as(check.id() + " with " + broken).doesNotContain("could not complete")
                        .containsAnyOf(BECAUSE.get(check.id()).toArray(String[]::new));
            });
            assertThat(results.values().stream().map(Check::id).distinct().toList())
                    .as("every check of the suite was broken once")
                    .containsExactlyInAnyOrder("PC-01", "PC-02", "PC-03", "PC-04", "PC-05", "PC-06", "PC-07", "PC-08",
                            "PC-09", "PC-10", "PC-11", "PC-12");
        }
    }

    /** Sets the invite's {@code redeemed_at} back to NULL (its key is the SHA-256 of the token's 32 bytes). */
    private static void forgetRedemption(SegmentedDeployment deployment, String token) throws Exception {
        byte[] hash = MessageDigest.getInstance("SHA-256").digest(java.util.Base64.getUrlDecoder().decode(token));
        try (java.sql.Connection db = deployment.database();
             java.sql.PreparedStatement undo = db.prepareStatement("UPDATE invites SET redeemed_at = NULL WHERE token_hash = ?")) {
            undo.setBytes(1, hash);
            assertThat(undo.executeUpdate()).as("the invite's row").isEqualTo(1);
        }
    }

    /** Changes the action of the audit record in the middle of the chain, in place; returns its seq. */
    private static long editAuditRecord(SegmentedDeployment deployment) throws Exception {
        try (java.sql.Connection db = deployment.database();
             java.sql.Statement edit = db.createStatement()) {
            try (java.sql.ResultSet middle = edit.executeQuery("SELECT max(seq) / 2 FROM audit_records")) {
                middle.next();
                long seq = middle.getLong(1);
                assertThat(edit.executeUpdate("UPDATE audit_records SET action = action || '.edited' WHERE seq = " + seq))
                        .isEqualTo(1);
                return seq;
            }
        }
    }
}
