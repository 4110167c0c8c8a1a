package dev.portcullis.compliance.evidence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.compliance.EvidenceTargets;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every check of the suite can fail: each runs against a deliberately broken stand-in and must say
 * FAIL and why, and (where a passing stand-in is cheap) against a sound one and must say PASS, so
 * no check is "always pass" or "always fail". Only the audit export needs the deployment (a real
 * signed export).
 */
class ChecksCanFailTest {

    /** A stand-in process gets this long to open its socket. */
    private static final Duration READY_WITHIN = Duration.ofSeconds(30);
    private static final String NEUTRAL_404 = "{\"error\":\"This link is not valid any more. Ask your administrator for a new invite.\"}";

    private final Checks checks = new Checks(EvidenceTargets::listening);

    // ---- (a) --------------------------------------------------------------------------------------------

    @Test
    void aCoreStandInListeningOnAllInterfacesFailsTheSocketCheck() throws Exception {
        int port = freePort();
        Process server = start(List.of(python(), "-m", "http.server", "--bind", "0.0.0.0", Integer.toString(port)));
        try {
            awaitListening(server, port);
            Check check = checks.coreListensOnlyOnItsInternalAdminAddress(server.pid(), "127.0.0.1:" + freePort());
            assertFailedBecause(check, "0.0.0.0:" + port, "not loopback");
        } finally {
            ExternalCommand.kill(server);
        }
    }

    @Test
    void aCoreStandInListeningOnlyOnItsLoopbackAdminAddressPassesTheSocketCheck() throws Exception {
        int port = freePort();
        Process server = start(List.of(python(), "-m", "http.server", "--bind", "127.0.0.1", Integer.toString(port)));
        try {
            awaitListening(server, port);
            Check check = checks.coreListensOnlyOnItsInternalAdminAddress(server.pid(), "127.0.0.1:" + port);
            assertThat(check.result()).as(check.reason()).isEqualTo(Check.Result.PASS);
        } finally {
            ExternalCommand.kill(server);
        }
    }

    // ---- (b) --------------------------------------------------------------------------------------------

    @Test
    void anEdgeStateDirectoryHoldingAnEmailAndATotpSecretFailsTheUserDataCheck(@TempDir Path state) throws Exception {
        Files.writeString(state.resolve("tls.pem"), pem());
        Files.writeString(state.resolve("cache.json"),
                "{\"user\":\"mallory@example.com\",\"totp\":\"otpauth://totp/Portcullis:mallory?secret=JBSWY3DPEHPK3PXP\"}");
        Process edge = start(List.of("sleep", "120"));
        try {
            awaitCommandLine(edge, "sleep");
            Check check = checks.edgeHoldsNoUserDataOrSecrets(state, edge.pid(),
                    Map.of("user e-mail", "mallory@example.com", "TOTP secret", "JBSWY3DPEHPK3PXP"));
            assertFailedBecause(check, "cache.json contains the user e-mail", "cache.json contains the TOTP secret",
                    "a TOTP provisioning URI");
            assertThat(check.observations().toString()).doesNotContain("JBSWY3DPEHPK3PXP", "mallory@");
        } finally {
            ExternalCommand.kill(edge);
        }
    }

    @Test
    void anEdgeCommandLineCarryingAJdbcUrlFailsTheUserDataCheck(@TempDir Path state) throws Exception {
        Files.writeString(state.resolve("tls.pem"), pem());
        // "; exit 0" keeps bash from exec-ing sleep in its place, which would drop the planted argument.
        Process edge = start(List.of("bash", "-c", "sleep 120; exit 0", "jdbc:postgresql://db.internal:5432/portcullis"));
        try {
            awaitCommandLine(edge, "jdbc:postgresql://");
            Check check = checks.edgeHoldsNoUserDataOrSecrets(state, edge.pid(), Map.of("user e-mail", "mallory@example.com"));
            assertFailedBecause(check, "command line of pid " + edge.pid() + " contains a JDBC URL");
        } finally {
            ExternalCommand.kill(edge);
        }
    }

    @Test
    void aCleanEdgeStateDirectoryAndCommandLinePassTheUserDataCheck(@TempDir Path state) throws Exception {
        Files.writeString(state.resolve("tls.pem"), pem());
        Process edge = start(List.of("sleep", "120"));
        try {
            awaitCommandLine(edge, "sleep");
            Check check = checks.edgeHoldsNoUserDataOrSecrets(state, edge.pid(), Map.of("user e-mail", "mallory@example.com"));
            assertThat(check.result()).as(check.reason()).isEqualTo(Check.Result.PASS);
        } finally {
            ExternalCommand.kill(edge);
        }
    }

    // ---- (c) --------------------------------------------------------------------------------------------

    @Test
    void aRedeemEndpointThatAcceptsTheSameInviteTwiceFailsTheSingleUseCheck() {
        Check check = checks.inviteLinksAreSingleUse(token -> new HttpAnswer(200, Map.of(), "{\"csrf\":\"x\"}"),
                "fresh-token", NEUTRAL_404);
        assertFailedBecause(check, "second redemption of the same invite was accepted (200)");
    }

    @Test
    void aSecondUseAnsweredWithAnotherThanTheNeutralBodyFailsAndTheNeutral404Passes() {
        Iterator<HttpAnswer> telling = List.of(new HttpAnswer(200, Map.of(), "{}"),
                new HttpAnswer(410, Map.of(), "{\"error\":\"already used\"}")).iterator();
        assertFailedBecause(checks.inviteLinksAreSingleUse(token -> telling.next(), "t", NEUTRAL_404), "answered 410");
        Iterator<HttpAnswer> sound = List.of(new HttpAnswer(200, Map.of(), "{}"),
                new HttpAnswer(404, Map.of(), NEUTRAL_404)).iterator();
        Check check = checks.inviteLinksAreSingleUse(token -> sound.next(), "t", NEUTRAL_404);
        assertThat(check.result()).as(check.reason()).isEqualTo(Check.Result.PASS);
    }

    // ---- (d) TLS on every listener: NetworkChecksCanFailTest --------------------------------------------

    // ---- (f) --------------------------------------------------------------------------------------------

    @Test
    void aControlListenerThatTakesAnyClientFailsTheMtlsCheck(@TempDir Path dir) throws Exception {
        Check check = mtlsAgainstOpensslServer(dir, false);
        assertFailedBecause(check, "stand-in accepted a client with no client certificate",
                "stand-in accepted a client with a certificate of another CA");
    }

    @Test
    void aControlListenerThatRequiresItsOwnCasCertificatePassesTheMtlsCheck(@TempDir Path dir) throws Exception {
        Check check = mtlsAgainstOpensslServer(dir, true);
        assertThat(check.result()).as(check.reason() + "\n" + check.observations()).isEqualTo(Check.Result.PASS);
    }

    /** openssl s_server with ALPN h2, requiring a client certificate of its own CA or not; the rogue client has another. */
    private Check mtlsAgainstOpensslServer(Path dir, boolean requireClientCertificate) throws Exception {
        for (String name : List.of("server", "rogue")) {
            CommandResult made = ExternalCommand.run(Duration.ofSeconds(60), "openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", dir.resolve(name + ".key").toString(),
                    "-out", dir.resolve(name + ".pem").toString(), "-subj", "/CN=" + name, "-days", "1");
            assertThat(made.exitCode()).as(made.output()).isZero();
        }
        int port = freePort();
        List<String> line = new ArrayList<>(List.of("openssl", "s_server", "-accept", "127.0.0.1:" + port,
                "-cert", dir.resolve("server.pem").toString(), "-key", dir.resolve("server.key").toString(), "-alpn", "h2", "-quiet"));
        if (requireClientCertificate) {
            line.addAll(List.of("-Verify", "1", "-verify_return_error", "-CAfile", dir.resolve("server.pem").toString()));
        }
        Process server = start(line);
        try {
            awaitListening(server, port);
            return checks.controlListenersRequireCoresCertificate(Map.of("stand-in", port),
                    dir.resolve("rogue.pem"), dir.resolve("rogue.key"));
        } finally {
            ExternalCommand.kill(server);
        }
    }

    // ---- (e) --------------------------------------------------------------------------------------------

    @Test
    void aVerifierThatCallsEveryExportIntactFailsTheAuditCheck(@TempDir Path work) {
        Checks.AdminCli blind = arguments -> {
            List<String> args = List.of(arguments);
            int out = args.indexOf("--out");
            if (out >= 0) {
                Files.writeString(Path.of(args.get(out + 1)), args.contains("public-key") ? pem() : String.join("\n",
                        "{\"type\":\"record\",\"seq\":1,\"recorded_at\":\"t\",\"actor\":\"a\",\"action\":\"invite.issued\",\"hash\":\"00\"}",
                        "{\"type\":\"record\",\"seq\":2,\"recorded_at\":\"t\",\"actor\":\"a\",\"action\":\"user.added\",\"hash\":\"01\"}",
                        "{\"type\":\"checkpoint\",\"seq\":2,\"hash\":\"01\"}") + "\n");
                return new CommandResult(args, 0, "written");
            }
            return new CommandResult(args, 0, "intact: 2 records");
        };
        Check check = checks.auditChainIsTamperEvident(blind, work);
        assertFailedBecause(check, "hand-edited export (seq 2) verifies as intact: editing is not detected");
    }

    /** A real signed export from the shared deployment: intact it passes, with one action edited it fails at that seq. */
    @Test
    @ExtendWith(EvidenceTargets.class)
    void aHandEditedExportFailsOfflineVerificationAtItsSeqAndTheIntactExportPasses(LiveDeployment deployment) throws Exception {
        Path work = Files.createDirectories(deployment.work().resolve("evidence-can-fail-" + System.nanoTime()));
        Path key = work.resolve("audit.pem");
        Path export = work.resolve("audit.jsonl");
        assertThat(deployment.admin("audit", "public-key", "--out", key.toString()).exitCode()).isZero();
        CommandResult exported = deployment.admin("audit", "export", "--out", export.toString());
        assertThat(exported.exitCode()).as(exported.output()).isZero();

        Check intact = checks.exportedAuditLogVerifies(deployment::admin, export, key);
        assertThat(intact.result()).as(intact.reason()).isEqualTo(Check.Result.PASS);

        Path edited = work.resolve("audit-edited.jsonl");
        Checks.Edit edit = Checks.editOneRecord(export, edited);
        assertThat(edit).as("a record to edit in " + export).isNotNull();
        Check tampered = checks.exportedAuditLogVerifies(deployment::admin, edited, key);
        assertFailedBecause(tampered, "BROKEN at seq " + edit.seq() + ":");
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    private static void assertFailedBecause(Check check, String... reasons) {
        assertThat(check.result()).as("a broken target must FAIL: " + check.reason()).isEqualTo(Check.Result.FAIL);
        String said = check.reason() + "\n" + check.observations();
        for (String reason : reasons) {
            assertThat(said).as("the FAIL says why").contains(reason);
        }
    }

    private static Process start(List<String> command) throws IOException {
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectInput(ProcessBuilder.Redirect.PIPE).start();
    }

    /** Polls the kernel's socket table (no sleeps as synchronization) until the process listens on the port. */
    private static void awaitListening(Process process, int port) throws Exception {
        EvidenceTargets.awaitListening(process, port, READY_WITHIN, null);
    }

    /** Polls until the child has exec'd (between fork and exec /proc shows the JVM's command line). */
    private static void awaitCommandLine(Process process, String marker) throws Exception {
        Path cmdline = Path.of("/proc", Long.toString(process.pid()), "cmdline");
        EvidenceTargets.await("pid " + process.pid() + " showing '" + marker + "' in its command line", READY_WITHIN, () -> {
            String line = Files.readString(cmdline, java.nio.charset.StandardCharsets.ISO_8859_1).replace('\0', ' ');
            return line.startsWith(marker) || line.contains(" " + marker);
        });
    }

    /** The python3 executable itself (a pyenv shim would be a parent process with no sockets). */
    private static String python() {
        CommandResult which = ExternalCommand.run(Duration.ofSeconds(30), "python3", "-c", "import sys; print(sys.executable)");
        assertThat(which.exitCode()).as(which.output()).isZero();
        return which.output().strip().lines().reduce((a, b) -> b).orElseThrow();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String pem() {
        return "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUJ3q0\n-----END CERTIFICATE-----\n";
    }
}
