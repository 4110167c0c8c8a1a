package dev.portcullis.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.pki.cert.CaFingerprint;
import dev.portcullis.pki.join.JoinToken;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class EdgeProxyMainTest {

    @TempDir
    Path stateDir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @Test
    void helpPrintsUsageAndExitsZero() {
        int status = run(Map.of(), "--help");

        assertThat(status).isZero();
        assertThat(out.toString()).contains("Usage: portcullis-edge-proxy", "--control-listen", "--public-listen", "--state-dir",
                "--join-token", "--join-token-file", "--public-tls-cert", "--public-tls-key", "PORTCULLIS_JOIN_TOKEN",
                "127.0.0.1:7443", "127.0.0.1:8443", "./.portcullis/edge-proxy", "3 revoked by core");
    }

    @Test
    void aMissingJoinTokenOnAComponentNotYetAdoptedFailsWithTheActionableMessage() {
        int status = run(Map.of(), "--state-dir", stateDir.toString(), "--control-listen", "127.0.0.1:0", "--public-listen", "127.0.0.1:0");

        assertThat(status).isEqualTo(EdgeProxyMain.EXIT_STARTUP_FAILED);
        assertThat(err.toString()).contains("not adopted yet", stateDir.toString(), "portcullis-admin component add",
                "--join-token-file", "PORTCULLIS_JOIN_TOKEN");
    }

    @Test
    void anUnusableJoinTokenIsReportedWithoutEchoingIt() {
        int status = run(Map.of("PORTCULLIS_JOIN_TOKEN", "pcj1.not-a-real-token-secretpart"), "--state-dir", stateDir.toString());

        assertThat(status).isEqualTo(EdgeProxyMain.EXIT_STARTUP_FAILED);
        assertThat(err.toString()).contains("PORTCULLIS_JOIN_TOKEN is unusable").doesNotContain("secretpart");
    }

    @Test
    void twoTokenSourcesAtOnceAreRefused() {
        String token = JoinToken.mint("0b5c6f3e-9a1d-4c2b-8e7f-1a2b3c4d5e6f", CaFingerprint.fromBytes(new byte[32])).reveal();

        int status = run(Map.of(), "--state-dir", stateDir.toString(), "--join-token", token,
                "--join-token-file", stateDir.resolve("token").toString());

        assertThat(status).isEqualTo(EdgeProxyMain.EXIT_STARTUP_FAILED);
        assertThat(err.toString()).contains("either --join-token or --join-token-file").doesNotContain(token);
    }

    @Test
    void aCertificateWithoutItsKeyIsRefused() {
        String token = JoinToken.mint("0b5c6f3e-9a1d-4c2b-8e7f-1a2b3c4d5e6f", CaFingerprint.fromBytes(new byte[32])).reveal();

        int status = run(Map.of("PORTCULLIS_JOIN_TOKEN", token), "--state-dir", stateDir.toString(),
                "--public-tls-cert", stateDir.resolve("cert.pem").toString());

        assertThat(status).isEqualTo(EdgeProxyMain.EXIT_STARTUP_FAILED);
        assertThat(err.toString()).contains("--public-tls-cert and --public-tls-key");
    }

    @Test
    void aMalformedListenAddressNamesTheOption() {
        int status = run(Map.of(), "--state-dir", stateDir.toString(), "--public-listen", "localhost");

        assertThat(status).isEqualTo(EdgeProxyMain.EXIT_STARTUP_FAILED);
        assertThat(err.toString()).contains("--public-listen").contains("HOST:PORT");
    }

    @Test
    void withoutAnOperatorsCertificateTheSelfSignedOneIsKeptInTheStateDirectoryAndReused() throws Exception {
        String token = JoinToken.mint("0b5c6f3e-9a1d-4c2b-8e7f-1a2b3c4d5e6f", CaFingerprint.fromBytes(new byte[32])).reveal();
        String[] args = {"--state-dir", stateDir.toString(), "--control-listen", "127.0.0.1:0", "--public-listen", "127.0.0.1:0"};

        EdgeProxy.Config first = config(Map.of("PORTCULLIS_JOIN_TOKEN", token), args);
        EdgeProxy.Config second = config(Map.of("PORTCULLIS_JOIN_TOKEN", token), args);

        assertThat(first.publicCertificate().isSelfSigned()).isTrue();
        assertThat(second.publicCertificate().trustAnchorPin()).isEqualTo(first.publicCertificate().trustAnchorPin());
        assertThat(stateDir.resolve(dev.portcullis.edge.tls.PublicCertificate.SELF_SIGNED_FILE)).isRegularFile();
    }

    private static EdgeProxy.Config config(Map<String, String> environment, String... args) throws Exception {
        EdgeProxyMain main = new EdgeProxyMain(environment);
        new CommandLine(main).parseArgs(args);
        return main.config();
    }

    private int run(Map<String, String> environment, String... args) {
        CommandLine commandLine = new CommandLine(new EdgeProxyMain(environment));
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        return commandLine.execute(args);
    }
}
