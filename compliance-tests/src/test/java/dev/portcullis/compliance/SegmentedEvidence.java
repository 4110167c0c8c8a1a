package dev.portcullis.compliance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcullis.compliance.evidence.Check;
import dev.portcullis.compliance.evidence.Checks;
import dev.portcullis.compliance.evidence.CommandResult;
import dev.portcullis.compliance.evidence.ExternalCommand;
import dev.portcullis.compliance.evidence.HttpAnswer;
import dev.portcullis.compliance.evidence.NetworkChecks;
import dev.portcullis.compliance.evidence.Vantage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Each evidence check run the same way against a {@link SegmentedDeployment}: the compliance suite
 * runs them on a correct deployment and expects PASS, the throwaway deployment's test breaks each
 * control first and expects FAIL. One place says how a check is pointed at a deployment, so the
 * two can never drift apart.
 */
final class SegmentedEvidence {

    static final String REDEEM = "/api/v1/enroll/redeem";

    final SegmentedDeployment deployment;
    final Checks checks = new Checks(EvidenceTargets::listening);

    SegmentedEvidence(SegmentedDeployment deployment) {
        this.deployment = deployment;
    }

    /** PC-01: core's sockets, read from /proc of its process in the private zone. */
    Check coreSockets() {
        return checks.coreListensOnlyOnItsInternalAdminAddress(deployment.corePid(), "127.0.0.1:" + SegmentedDeployment.ADMIN_PORT);
    }

    /** The internet zone, where the scans and the public TLS probes run. */
    Vantage internet() {
        return Vantage.namespace("internet zone", deployment.internet.name());
    }

    /** The private zone, core's: the only place the components' control ports are meant to be dialled from. */
    Vantage privateZone() {
        return Vantage.namespace("private zone", deployment.privateZone.name());
    }

    /** PC-07: full TCP and UDP scans of core's address from the internet zone, the edge-proxy's public port as reference. */
    Check scanFromTheInternet() {
        return NetworkChecks.coreUnreachableFromTheInternet(internet(), deployment.coreAddress, deployment.dmzPublicAddress,
                SegmentedDeployment.EDGE_PUBLIC_PORT);
    }

    /** The TLS listeners of the deployment, each probed from where its clients are. */
    List<NetworkChecks.TlsListener> tlsListeners() {
        return List.of(
                new NetworkChecks.TlsListener("edge-proxy public HTTPS", internet(), deployment.dmzPublicAddress,
                        SegmentedDeployment.EDGE_PUBLIC_PORT),
                new NetworkChecks.TlsListener("edge-proxy control (gRPC, mTLS)", privateZone(), deployment.dmzPrivateAddress,
                        SegmentedDeployment.EDGE_CONTROL_PORT),
                new NetworkChecks.TlsListener("gateway control (gRPC, mTLS)", privateZone(), deployment.dmzPrivateAddress,
                        SegmentedDeployment.GATEWAY_CONTROL_PORT));
    }

    /** PC-04 on every TLS listener. */
    Check tls() {
        return NetworkChecks.tlsPolicy(tlsListeners());
    }

    /** PC-06: the control listeners, probed from the private zone (where core dials them from) with no and with a rogue certificate. */
    Check controlListeners(Map<String, String> listeners) throws Exception {
        Path[] rogue = rogueClient(deployment.work.resolve("evidence-rogue-client"));
        return checks.controlListenersRequireCoresCertificate(privateZone(), listeners, rogue[0], rogue[1]);
    }

    /** The deployment's two control listeners by name. */
    Map<String, String> controlListeners() {
        return Map.of("edge-proxy control", deployment.dmzPrivateAddress + ":" + SegmentedDeployment.EDGE_CONTROL_PORT,
                "gateway control", deployment.dmzPrivateAddress + ":" + SegmentedDeployment.GATEWAY_CONTROL_PORT);
    }

    /**
     * PC-12: every socket of every process in the private zone and the DMZ (core, its PostgreSQL,
     * the edge-proxy, the gateway, its wireguard-go; found by network namespace, so a process that
     * daemonized is not missed) is accounted for by the TLS listeners given, loopback or WireGuard.
     */
    Check socketInventory(List<NetworkChecks.TlsListener> probed) {
        Map<String, List<Long>> processes = new LinkedHashMap<>();
        processes.put("private zone", pidsIn(deployment.privateZone));
        processes.put("DMZ", pidsIn(deployment.dmz));
        Set<String> tls = new TreeSet<>();
        for (NetworkChecks.TlsListener listener : probed) {
            tls.add(listener.host() + ":" + listener.port());
        }
        return checks.everyListeningSocketIsAccountedFor(processes, tls, Set.of(SegmentedDeployment.WIREGUARD_PORT));
    }

    /** The processes in a namespace ({@code ip netns pids NAME}). */
    private List<Long> pidsIn(dev.portcullis.gateway.testnet.TestNetwork.Namespace zone) {
        List<Long> pids = new ArrayList<>();
        for (String pid : deployment.net.run("ip", "netns", "pids", zone.name()).strip().split("\\s+")) {
            if (!pid.isEmpty()) {
                pids.add(Long.parseLong(pid));
            }
        }
        return pids;
    }

    /** An invite redeemed through the edge-proxy from the internet; the answers are kept for the enrollment that follows. */
    final class Redemptions implements Checks.Redeemer {
        final List<HttpAnswer> answers = new ArrayList<>();

        @Override
        public HttpAnswer redeem(String token) throws Exception {
            EdgeClient.Response response = deployment.edge().postJson(REDEEM, Map.of("token", token));
            HttpAnswer answer = new HttpAnswer(response.status(), response.headers(), response.text());
            answers.add(answer);
            return answer;
        }
    }

    /** PC-03 with a redeemer the caller keeps (its first answer opens an enrollment session). */
    Check singleUseInvites(Redemptions redemptions, String token) {
        return checks.inviteLinksAreSingleUse(redemptions, token, EnrollmentDeployment.INVALID_INVITE_BODY);
    }

    /** PC-02 for the given user values (label → value). */
    Check edgeHoldsNoUserData(Map<String, String> userValues) {
        return checks.edgeHoldsNoUserDataOrSecrets(deployment.edgeState(), deployment.edgePid(), userValues);
    }

    /** PC-05 through the admin CLI (over the console relay), with scratch files in {@code scratch}. */
    Check auditChain(Path scratch) {
        return checks.auditChainIsTamperEvident(arguments -> {
            Quickstart.Result result = deployment.admin(arguments);
            List<String> command = new ArrayList<>(List.of("bin/portcullis-admin"));
            command.addAll(List.of(arguments));
            return new CommandResult(command, result.exitCode(), result.output());
        }, scratch);
    }

    /**
     * Sets a password and starts TOTP registration in the enrollment session the first redemption
     * opened, as the enrollment page would; returns the user values this made (label → value), for
     * PC-02 to look for.
     */
    Map<String, String> enrollUpToTotp(HttpAnswer redeemed) throws Exception {
        assertThat(redeemed.status()).as("the first redemption: " + redeemed).isEqualTo(200);
        String cookie = null;
        for (String setCookie : redeemed.headers().getOrDefault("set-cookie", List.of())) {
            String first = setCookie.split(";", 2)[0].strip();
            if (first.startsWith(EnrollmentDeployment.ENROLL_COOKIE + "=")) {
                cookie = first.substring(EnrollmentDeployment.ENROLL_COOKIE.length() + 1);
            }
        }
        assertThat(cookie).as("the enrollment cookie").isNotNull();
        ObjectMapper json = EnrollmentDeployment.JSON;
        String csrf = json.readTree(redeemed.body()).path("csrf").asText();
        String[] session = {"Cookie", EnrollmentDeployment.ENROLL_COOKIE + "=" + cookie, "X-Portcullis-CSRF", csrf,
                "Origin", deployment.origin};
        String password = "Granite-willow-" + Long.toHexString(System.nanoTime()) + "-7";
        EdgeClient.Response passwordSet = deployment.edge().postJson("/api/v1/enroll/password", Map.of("password", password), session);
        assertThat(passwordSet.status()).as(passwordSet.toString()).isEqualTo(204);
        EdgeClient.Response totp = deployment.edge().postJson("/api/v1/enroll/totp/start", Map.of(), session);
        assertThat(totp.status()).as(totp.toString()).isEqualTo(200);
        String secret = json.readTree(totp.text()).path("secret").asText();
        assertThat(secret).as("a TOTP secret").isNotBlank();
        Map<String, String> values = new LinkedHashMap<>();
        values.put("TOTP secret", secret);
        values.put("enrollment session cookie", cookie);
        values.put("user password", password);
        return values;
    }

    /** A client certificate of a CA core never heard of, claiming to be core (for PC-06). */
    static Path[] rogueClient(Path directory) throws Exception {
        Files.createDirectories(directory);
        CommandResult made = ExternalCommand.run(Duration.ofSeconds(60), "openssl", "req", "-x509", "-newkey", "ec",
                "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", directory.resolve("key.pem").toString(),
                "-out", directory.resolve("cert.pem").toString(), "-subj", "/CN=core", "-days", "1");
        assertThat(made.exitCode()).as("a rogue client certificate (its own CA, CN=core): " + made.output()).isZero();
        return new Path[] {directory.resolve("cert.pem"), directory.resolve("key.pem")};
    }
}
