package dev.portcullis.core.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.core.admin.CoreUnderTest;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code portcullis-admin audit ...} against a real core: registered under a root command with the
 * same inherited options as {@code portcullis-admin} ({@code --url}, {@code --token-file}, {@code --json}).
 */
class AuditCommandTest {

    private static CoreUnderTest core;
    private static Path tokenFile;
    private static Path work;

    @Command(name = "portcullis-admin", subcommands = AuditCommand.class)
    static final class AdminRoot {
        @Option(names = "--url", scope = CommandLine.ScopeType.INHERIT)
        URI url;
        @Option(names = "--token-file", scope = CommandLine.ScopeType.INHERIT)
        Path tokenFile;
        @Option(names = "--json", scope = CommandLine.ScopeType.INHERIT)
        boolean json;
    }

    private record Run(int exitCode, String out, String err) {
    }

    @BeforeAll
    static void startCore() throws Exception {
        core = CoreUnderTest.start();
        tokenFile = core.home.resolve("admin-token");
        work = Files.createTempDirectory("portcullis-audit-cli");
        AuditLog log = core.context.getBean(AuditLog.class);
        for (int i = 0; i < 25; i++) {
            log.append(AuditEvent.of("admin:alice", "component.added", "edge-" + i, AuditEvent.Outcome.SUCCESS)
                    .with("note", "quote \" and ] bracket"));
        }
    }

    @AfterAll
    static void stopCore() {
        core.close();
    }

    private static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = new CommandLine(new AdminRoot());
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        String[] all = new String[args.length + 4];
        System.arraycopy(args, 0, all, 0, args.length);
        System.arraycopy(new String[] {"--url", core.url(), "--token-file", tokenFile.toString()}, 0, all, args.length, 4);
        int code = commandLine.execute(all);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void anExportToStdoutCarriesTheSameLinesAsAFileExportIncludingNonAsciiText() throws Exception {
        core.context.getBean(AuditLog.class).append(AuditEvent.of("admin:zoë", "user.created", "user:jürgen-ß-✓",
                AuditEvent.Outcome.SUCCESS));
        core.context.getBean(AuditLog.class).sync();
        Path export = work.resolve("stdout-compare.jsonl");

        Run toFile = cli("audit", "export", "--out", export.toString());
        Run toStdout = cli("audit", "export");

        assertThat(toFile.exitCode()).as(toFile.err()).isZero();
        assertThat(toStdout.exitCode()).as(toStdout.err()).isZero();
        List<String> fileRecords = Files.readString(export).lines().filter(l -> l.startsWith("{\"type\":\"record\"")).toList();
        List<String> printedRecords = toStdout.out().lines().filter(l -> l.startsWith("{\"type\":\"record\"")).toList();
        assertThat(printedRecords).isEqualTo(fileRecords).anySatisfy(line -> assertThat(line).contains("user:jürgen-ß-✓"));
    }

    @Test
    void anExportAndThePublicKeyVerifyOfflineAndAnEditedExportExitsWithBroken() throws Exception {
        Path key = work.resolve("audit.pem");
        Path export = work.resolve("audit.jsonl");

        Run publicKey = cli("audit", "public-key", "--out", key.toString());
        Run exported = cli("audit", "export", "--out", export.toString());
        Run verified = cli("audit", "verify", "--file", export.toString(), "--public-key", key.toString());

        assertThat(publicKey.exitCode()).as(publicKey.err()).isZero();
        assertThat(exported.exitCode()).as(exported.err()).isZero();
        assertThat(exported.out()).contains("exported ").contains("resume with --from ");
        assertThat(Files.readString(export).lines().reduce((a, b) -> b).orElseThrow()).startsWith("{\"type\":\"checkpoint\"");
        assertThat(verified.exitCode()).as(verified.out() + verified.err()).isZero();
        assertThat(verified.out()).contains(": intact: ");

        String edge7 = Files.readString(export).lines().filter(line -> line.contains("\"subject\":\"edge-7\""))
                .findFirst().orElseThrow();
        long seq = ((AuditRecord) TamperDetectionTest.parse(edge7)).seq();
        Files.writeString(export, Files.readString(export).replace(edge7, edge7.replace("edge-7", "edge-8")));
        Run broken = cli("audit", "verify", "--file", export.toString(), "--public-key", key.toString());
        assertThat(broken.exitCode()).isEqualTo(AuditCommand.EXIT_BROKEN);
        assertThat(broken.out()).contains("BROKEN at seq " + seq + ": HASH_MISMATCH");
    }

    @Test
    void anOlderExportPassedOffAsCurrentIsCaughtWithALaterCheckpointKeptElsewhere() throws Exception {
        Path key = work.resolve("audit-2.pem");
        Path older = work.resolve("older.jsonl");
        Path newer = work.resolve("newer.jsonl");
        Path kept = work.resolve("kept-checkpoint.json");
        assertThat(cli("audit", "public-key", "--out", key.toString()).exitCode()).isZero();
        assertThat(cli("audit", "export", "--out", older.toString()).exitCode()).isZero();
        core.context.getBean(AuditLog.class).append(AuditEvent.of("admin:mallory", "admin.token.created", "backdoor",
                AuditEvent.Outcome.SUCCESS));
        assertThat(cli("audit", "export", "--out", newer.toString()).exitCode()).isZero();
        Files.writeString(kept, Files.readString(newer).lines().reduce((a, b) -> b).orElseThrow() + "\n");

        Run alone = cli("audit", "verify", "--file", older.toString(), "--public-key", key.toString());
        Run withKept = cli("audit", "verify", "--file", older.toString(), "--public-key", key.toString(),
                "--trusted-checkpoint", kept.toString());

        assertThat(alone.exitCode()).isZero(); // on its own, a valid older export
        assertThat(withKept.exitCode()).isEqualTo(AuditCommand.EXIT_BROKEN);
        assertThat(withKept.out()).contains(": TRUNCATED: a signed checkpoint covers seq ");
    }

    @Test
    void theLiveLogVerifiesThroughTheAdminApiAndTheHeadCanBeSignedOnDemand() {
        Run signed = cli("audit", "checkpoint");
        Run live = cli("audit", "verify");

        assertThat(signed.exitCode()).as(signed.err()).isZero();
        assertThat(signed.out()).startsWith("audit log signed through seq ");
        assertThat(live.exitCode()).as(live.err()).isZero();
        assertThat(live.out()).contains("live audit log at ").contains(": intact: ");
    }

    @Test
    void aSyslogExportReachesATcpCollector() throws Exception {
        try (ServerSocket collector = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            ExecutorService thread = Executors.newSingleThreadExecutor();
            Future<byte[]> received = thread.submit(() -> {
                try (Socket connection = collector.accept(); InputStream in = connection.getInputStream()) {
                    return SyslogParser.readAll(in);
                }
            });
            thread.shutdown();

            Run run = cli("audit", "export", "--format", "syslog", "--from", "20", "--hostname", "core-1",
                    "--tcp", "127.0.0.1:" + collector.getLocalPort());

            assertThat(run.exitCode()).as(run.err()).isZero();
            List<SyslogParser.Message> messages = SyslogParser.messages(received.get(30, TimeUnit.SECONDS));
            assertThat(messages.get(0).structuredData().get("audit@32473").get("seq")).isEqualTo("20");
            assertThat(messages.get(messages.size() - 1).msgId()).isEqualTo("audit.checkpoint");
            assertThat(messages).allMatch(m -> m.hostname().equals("core-1") && m.facility() == 10);
            assertThat(messages).filteredOn(m -> "component.added".equals(m.msgId())).isNotEmpty()
                    .allMatch(m -> m.structuredData().get("details@32473").get("note").equals("quote \" and ] bracket"));
        }
    }

    @Test
    void usageMistakesAndABadTokenAreOneLineErrors() throws Exception {
        Run noKey = cli("audit", "verify", "--file", work.resolve("whatever.jsonl").toString());
        assertThat(noKey.exitCode()).isEqualTo(2);
        assertThat(noKey.err()).contains("offline verification needs --public-key");

        Run tlsWithoutTrust = cli("audit", "export", "--tcp", "127.0.0.1:6514", "--tls");
        assertThat(tlsWithoutTrust.exitCode()).isEqualTo(2);

        Path wrongToken = work.resolve("wrong-token");
        Files.writeString(wrongToken, "pca1.0123456789abcdef." + "A".repeat(43));
        StringWriter err = new StringWriter();
        CommandLine commandLine = new CommandLine(new AdminRoot());
        commandLine.setOut(new PrintWriter(new StringWriter(), true));
        commandLine.setErr(new PrintWriter(err, true));
        int code = commandLine.execute("audit", "verify", "--url", core.url(), "--token-file", wrongToken.toString());
        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).startsWith("portcullis-admin: admin token rejected").doesNotContain("Exception");
    }
}
