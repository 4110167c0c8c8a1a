package dev.portcullis.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.core.admin.CoreUnderTest;
import dev.portcullis.pki.join.JoinToken;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI end to end against a real running core admin API. */
class AdminCliTest {

    private static CoreUnderTest core;
    @TempDir
    Path workDir;

    @BeforeAll
    static void startCore() throws Exception {
        core = CoreUnderTest.start();
    }

    @AfterAll
    static void stopCore() {
        core.close();
    }

    record Run(int exitCode, String out, String err) {
    }

    private Run cli(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = AdminCli.execute(args, env, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    private Run admin(String... args) {
        List<String> all = new ArrayList<>(List.of("--url", core.url(), "--token-file", core.home.resolve("admin-token").toString()));
        all.addAll(List.of(args));
        return cli(Map.of(), all.toArray(String[]::new));
    }

    @Test
    void componentAddListRemove() throws Exception {
        Run added = admin("component", "add", "--role", "edge-proxy", "--name", "edge-cli-1", "--address", "127.0.0.1:7443");
        assertThat(added.exitCode()).as(added.err()).isZero();
        String token = added.out().lines().map(String::strip).filter(l -> l.startsWith("pcj1.")).findFirst().orElseThrow();
        assertThat(JoinToken.parse(token).componentId()).isNotBlank();

        Run listed = admin("component", "list");
        assertThat(listed.exitCode()).isZero();
        assertThat(listed.out()).contains("NAME").contains("edge-cli-1").contains("edge-proxy").contains("127.0.0.1:7443")
                .contains("PENDING").doesNotContain("pcj1.");

        Run removed = admin("component", "remove", "edge-cli-1");
        assertThat(removed.exitCode()).isZero();
        assertThat(removed.out()).contains("removed 'edge-cli-1'");
        assertThat(admin("component", "list").out()).doesNotContain("edge-cli-1");
    }

    @Test
    void joinTokenCanGoToAnOwnerOnlyFileInsteadOfTheScreen() throws Exception {
        Path tokenFile = workDir.resolve("gw.token");

        Run added = admin("component", "add", "--role", "gateway", "--name", "gw-cli-1", "--address", "[fd00::7]:7444",
                "--token-file-out", tokenFile.toString());

        assertThat(added.exitCode()).as(added.err()).isZero();
        assertThat(added.out()).doesNotContain("pcj1.").contains(tokenFile.toString());
        assertThat(JoinToken.parse(Files.readString(tokenFile).strip()).tokenId()).isNotBlank();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile))).isEqualTo("rw-------");
    }

    @Test
    void statusSettingsAndJsonOutput() {
        assertThat(admin("component", "add", "--role", "edge-proxy", "--name", "edge-cli-2", "--address", "10.0.0.2:7443")
                .exitCode()).isZero();

        Run set = admin("component", "set", "edge-cli-2", "--public-origin", "https://access.example.com", "--rate-limit", "60");
        assertThat(set.exitCode()).as(set.err()).isZero();
        assertThat(set.out()).contains("configuration v2").contains("origin=https://access.example.com").contains("rate=60/min");

        Run status = admin("status");
        assertThat(status.exitCode()).isZero();
        assertThat(status.out()).contains("CA sha256:").contains("edge-cli-2");

        Run json = admin("--json", "component", "list");
        assertThat(json.out().strip()).startsWith("[").contains("\"name\":\"edge-cli-2\"");
        Run jsonAfter = admin("component", "list", "--json");
        assertThat(jsonAfter.out().strip()).as("--json also works after the subcommand").startsWith("[");
    }

    @Test
    void apiErrorsArePassedThroughWithExitCode1() {
        assertThat(admin("component", "add", "--role", "edge-proxy", "--name", "dup", "--address", "h:1").exitCode()).isZero();

        Run duplicate = admin("component", "add", "--role", "edge-proxy", "--name", "dup", "--address", "h:2");
        assertThat(duplicate.exitCode()).isEqualTo(1);
        assertThat(duplicate.err()).contains("a component named 'dup' already exists");

        Run badRole = admin("component", "add", "--role", "router", "--name", "r1", "--address", "h:1");
        assertThat(badRole.exitCode()).isEqualTo(1);
        assertThat(badRole.err()).contains("role must be");
    }

    @Test
    void rejectedTokenSaysWhatToCheck() throws Exception {
        Path wrong = workDir.resolve("wrong-token");
        Files.writeString(wrong, "pca1.0123456789abcdef." + "A".repeat(43));

        Run run = cli(Map.of(), "--url", core.url(), "--token-file", wrong.toString(), "status");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("admin token rejected: check --token-file");
    }

    @Test
    void environmentSuppliesUrlAndToken() throws Exception {
        Run run = cli(Map.of("PORTCULLIS_ADMIN_URL", core.url(), "PORTCULLIS_ADMIN_TOKEN", core.bootstrapToken()), "status");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("CA sha256:");
    }

    @Test
    void unreachableCoreGivesAReadableError() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }

        Run run = cli(Map.of(), "--url", "http://127.0.0.1:" + closedPort, "--token-file",
                core.home.resolve("admin-token").toString(), "component", "list");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("cannot reach the core admin API at http://127.0.0.1:" + closedPort + ": is core running?")
                .doesNotContain("\tat ");
    }

    @Test
    void missingTokenFileIsExplained() {
        Run run = cli(Map.of("PORTCULLIS_HOME", workDir.toString()), "--url", core.url(), "status");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("no admin token").contains(workDir.resolve("admin-token").toString());
    }

    /** Regression: an empty component list was omitted from the JSON and the CLI failed on it. */
    @Test
    void statusOfACoreWithoutComponentsIsReadable() throws Exception {
        try (CoreUnderTest empty = CoreUnderTest.start()) {
            Run run = cli(Map.of(), "--url", empty.url(), "--token-file", empty.home.resolve("admin-token").toString(), "status");
            assertThat(run.exitCode()).as(run.err()).isZero();
            assertThat(run.out()).contains("CA sha256:").contains("no components registered");

            Run json = cli(Map.of(), "--url", empty.url(), "--token-file", empty.home.resolve("admin-token").toString(),
                    "--json", "component", "list");
            assertThat(json.out().strip()).isEqualTo("[]");
        }
    }

    @Test
    void peerAdmitListEvictAndAclSetShowRoundTrip() throws Exception {
        core.adoptedGateway("gw-cli-loc", "lisbon");
        byte[] raw = new byte[32];
        new java.security.SecureRandom().nextBytes(raw);
        String key = java.util.Base64.getEncoder().encodeToString(raw);

        Run set = admin("component", "set", "gw-cli-loc", "--tunnel-address", "10.85.0.1/24", "--tunnel-address",
                "fd00:85::1/64", "--mtu", "1380");
        assertThat(set.exitCode()).as(set.err()).isZero();
        assertThat(set.out()).contains("tunnel=10.85.0.1/24,fd00:85::1/64").contains("mtu=1380");

        Run admitted = admin("peer", "admit", "lisbon", "--public-key", key, "--allowed-ip", "10.85.0.2/32", "--lifetime", "2h");
        assertThat(admitted.exitCode()).as(admitted.err()).isZero();
        assertThat(admitted.out()).contains("admitted " + key).contains("gw-cli-loc acknowledged")
                .contains("preshared key (shown once");
        String psk = admitted.out().lines().map(String::strip).filter(l -> l.length() == 44 && !l.equals(key))
                .findFirst().orElseThrow();

        Run listed = admin("peer", "list", "lisbon");
        assertThat(listed.exitCode()).as(listed.err()).isZero();
        assertThat(listed.out()).contains("PUBLIC KEY").contains(key).contains("10.85.0.2/32").doesNotContain(psk);

        Path policy = workDir.resolve("policy.json");
        Files.writeString(policy, "{\"rules\": [{\"sources\": [\"10.85.0.0/24\"], \"destinations\": [\"192.168.85.0/24\"], "
                + "\"protocol\": \"tcp\", \"ports\": [\"22\", \"8000-8080\"]}], \"masqueradeDestinations\": [\"192.168.85.0/24\"]}");
        Run aclSet = admin("acl", "set", "lisbon", "--file", policy.toString());
        assertThat(aclSet.exitCode()).as(aclSet.err()).isZero();
        assertThat(aclSet.out()).contains("ACL revision 1").contains("gw-cli-loc acknowledged");
        Run aclShown = admin("acl", "show", "lisbon");
        assertThat(aclShown.out()).contains("ACL revision 1").contains("192.168.85.0/24").contains("22,8000-8080")
                .contains("masquerade towards: 192.168.85.0/24");

        Files.writeString(policy, "{\"rules\": [{\"sources\": [\"10.85.0.0/24\"], \"destinations\": [\"0.0.0.0/0\"], "
                + "\"protocol\": \"icmp\", \"ports\": [\"22\"]}]}");
        Run refused = admin("acl", "set", "lisbon", "--file", policy.toString());
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err()).contains("ports apply only to tcp or udp");

        Run evicted = admin("peer", "evict", "lisbon", key);
        assertThat(evicted.exitCode()).as(evicted.err()).isZero();
        assertThat(evicted.out()).contains("evicted " + key);
        assertThat(admin("peer", "list", "lisbon").out()).contains("no admitted peers");
        assertThat(admin("peer", "evict", "lisbon", key).exitCode()).isEqualTo(1);
    }

    @Test
    void usageErrorsExitWith2() {
        assertThat(admin("component", "add", "--name", "x").exitCode()).isEqualTo(2);
        assertThat(admin("frobnicate").exitCode()).isEqualTo(2);
        assertThat(admin("component").exitCode()).isEqualTo(2);
        Run help = cli(Map.of(), "--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).contains("portcullis-admin").contains("component").contains("--token-file");
    }
}
