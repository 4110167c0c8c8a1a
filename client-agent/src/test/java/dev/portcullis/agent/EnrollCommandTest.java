package dev.portcullis.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcullis.agent.outcome.ExitCode;
import dev.portcullis.pki.store.CredentialStore;
import dev.portcullis.pki.wireguard.WireGuardPrivateKey;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code portcullis-agent enroll}, in process, against a fake proxy + core over real TLS 1.3
 * on loopback, with answers fed through stdin as a script would.
 */
@Timeout(60)
class EnrollCommandTest {

    private static final String PASSWORD = "correct horse battery staple";
    private static final String ANSWERS = PASSWORD + "\n" + PASSWORD + "\n" + FakeProxy.GOOD_CODE + "\n";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;

    private FakeProxy proxy;

    @BeforeEach
    void startProxy() throws Exception {
        proxy = new FakeProxy();
    }

    @AfterEach
    void stopProxy() {
        proxy.close();
    }

    private Path state() {
        return home.resolve(".portcullis-agent");
    }

    private AgentRun enroll(String answers, String... extra) {
        List<String> args = new ArrayList<>(List.of("enroll", proxy.invite(), "--device-name", "alice-laptop"));
        args.addAll(List.of(extra));
        return AgentRun.run(home, answers, args.toArray(new String[0]));
    }

    // --- the whole ceremony ---

    @Test
    void aFullEnrollmentSucceedsAndRegistersThePublicHalvesOfTheKeysKeptInTheStateDirectory() throws Exception {
        AgentRun run = enroll(ANSWERS);

        assertThat(run.exitCode()).as(run.all()).isEqualTo(0);
        assertThat(proxy.paths()).containsExactly("/api/v1/enroll/redeem", "/api/v1/enroll/password",
                "/api/v1/enroll/totp/start", "/api/v1/enroll/totp/confirm", "/api/v1/enroll/recovery-codes",
                "/api/v1/enroll/devices", "/api/v1/enroll/complete");
        assertThat(proxy.registered()).hasSize(1);
        FakeProxy.Registered device = proxy.registered().get(0);
        assertThat(device.name()).isEqualTo("alice-laptop");
        assertThat(device.kind()).isEqualTo("agent");

        WireGuardPrivateKey wireguard = storedWireGuardKey();
        assertThat(wireguard.publicKey().base64()).isEqualTo(device.wireguardPublicKey());

        PrivateKey credential = storedCredential();
        PublicKey registered = KeyFactory.getInstance("EC")
                .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(device.credentialPublicKey())));
        byte[] challenge = new byte[32];
        new SecureRandom().nextBytes(challenge);
        Signature signer = Signature.getInstance("SHA256withECDSA");
        signer.initSign(credential);
        signer.update(challenge);
        Signature verifier = Signature.getInstance("SHA256withECDSA");
        verifier.initVerify(registered);
        verifier.update(challenge);
        assertThat(verifier.verify(signer.sign())).as("the registered credential key is the stored one's public half").isTrue();

        JsonNode record = JSON.readTree(state().resolve("enrollment.json").toFile());
        assertThat(record.path("origin").asText()).isEqualTo(proxy.origin().toString());
        assertThat(record.path("trustAnchorSha256").asText()).isEqualTo(Base64.getUrlEncoder().withoutPadding().encodeToString(proxy.pin()));
        assertThat(record.path("device").path("id").asText()).isEqualTo("3f1c9a52-7d7e-4b8e-9a51-0c1d2e3f4a5b");
        assertThat(record.path("device").path("name").asText()).isEqualTo("alice-laptop");
        assertThat(record.path("user").path("name").asText()).isEqualTo("alice");
        JsonNode location = record.path("locations").get(0);
        assertThat(location.path("name").asText()).isEqualTo("office");
        assertThat(location.path("address").asText()).isEqualTo("10.8.0.2/32");
        assertThat(location.path("dns").get(0).asText()).isEqualTo("10.8.0.1");
        assertThat(location.path("allowedIps")).hasSize(2);
        assertThat(location.path("mtu").asInt()).isEqualTo(1420);
        assertThat(location.path("gateways").get(0).path("endpoint").asText()).isEqualTo("203.0.113.7:51820");
    }

    @Test
    void theUserSeesProgressTheTotpSecretAndTheRecoveryCodesWithAnInstructionToStoreThemOffline() {
        AgentRun run = enroll(ANSWERS);

        assertThat(run.exitCode()).as(run.all()).isEqualTo(0);
        assertThat(run.stdout()).contains("Redeeming invite... done")
                .contains("Enrolling Alice Example (alice@example.com)")
                .contains(FakeProxy.PASSWORD_RULES)
                .contains(FakeProxy.TOTP_SECRET)
                .contains("otpauth://totp/Portcullis:alice?secret=")
                .contains("authenticator app")
                .contains("store them offline")
                .contains("Registering device \"alice-laptop\"... done")
                .contains("Completing enrollment... done")
                .contains("office: address 10.8.0.2/32");
        for (String code : FakeProxy.RECOVERY_CODES) {
            assertThat(run.stdout()).contains(code);
        }
    }

    @Test
    void everyCallAfterRedeemCarriesTheSessionCookieAndTheCsrfHeaderAndRedeemCarriesNeither() {
        AgentRun run = enroll(ANSWERS);

        assertThat(run.exitCode()).as(run.all()).isEqualTo(0);
        List<FakeProxy.Request> requests = proxy.requests();
        assertThat(requests.get(0).header("Cookie")).isNull();
        assertThat(requests.get(0).header("X-Portcullis-CSRF")).isNull();
        for (FakeProxy.Request request : requests.subList(1, requests.size())) {
            assertThat(request.header("Cookie")).as(request.path()).startsWith("__Host-portcullis-enroll=");
            assertThat(request.header("X-Portcullis-CSRF")).as(request.path()).isNotBlank();
            assertThat(request.header("Content-Type")).as(request.path()).startsWith("application/json");
        }
    }

    @Test
    void privateKeysNeverAppearInOutputOrInAnyRequestBody() throws Exception {
        AgentRun run = enroll(ANSWERS);
        assertThat(run.exitCode()).as(run.all()).isEqualTo(0);

        WireGuardPrivateKey wireguard = storedWireGuardKey();
        PrivateKey credential = storedCredential();
        List<String> secrets = new ArrayList<>(List.of(
                Base64.getEncoder().encodeToString(wireguard.bytes()),
                Base64.getUrlEncoder().withoutPadding().encodeToString(wireguard.bytes()),
                wireguard.hex(),
                Base64.getEncoder().encodeToString(credential.getEncoded()),
                HexFormat.of().formatHex(credential.getEncoded())));
        // every line of the PEM body, so that even a partial print would be caught
        Files.readAllLines(state().resolve("device-credential.pem")).stream()
                .filter(line -> !line.startsWith("-----")).forEach(secrets::add);
        List<String> seen = new ArrayList<>(List.of(run.stdout(), run.stderr()));
        proxy.requests().forEach(request -> seen.add(request.body()));
        seen.add(Files.readString(state().resolve("enrollment.json")));

        for (String text : seen) {
            for (String secret : secrets) {
                assertThat(text).doesNotContain(secret);
            }
            assertThat(text).doesNotContain("PRIVATE KEY");
        }
        assertThat(run.all()).doesNotContain(PASSWORD);
    }

    @Test
    void keysAndRecordAreOwnerOnlyFilesInAnOwnerOnlyDirectory() throws Exception {
        AgentRun run = enroll(ANSWERS);
        assertThat(run.exitCode()).as(run.all()).isEqualTo(0);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state()))).isEqualTo("rwx------");
        try (Stream<Path> files = Files.list(state())) {
            List<Path> all = files.toList();
            assertThat(all).extracting(p -> p.getFileName().toString())
                    .containsExactlyInAnyOrder("wireguard.key", "device-credential.pem", "enrollment.json");
            for (Path file : all) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).as(file.toString())
                        .isEqualTo("rw-------");
            }
        }
    }

    @Test
    void jsonOutputIsOneParsableObjectOnStdoutWithUserDeviceAndLocations() throws Exception {
        AgentRun run = enroll(ANSWERS, "--json");

        assertThat(run.exitCode()).as(run.all()).isEqualTo(0);
        JsonNode result = JSON.readTree(run.stdout());
        assertThat(run.stdout().strip().lines()).hasSize(1);
        assertThat(result.path("user").path("email").asText()).isEqualTo("alice@example.com");
        assertThat(result.path("device").path("name").asText()).isEqualTo("alice-laptop");
        assertThat(result.path("locations").get(0).path("name").asText()).isEqualTo("office");
        assertThat(result.path("stateDir").asText()).isEqualTo(state().toString());
        // the person still sees the secret and the codes, on stderr, and the script's stdout holds none of them
        assertThat(run.stderr()).contains(FakeProxy.TOTP_SECRET).contains(FakeProxy.RECOVERY_CODES.get(0)).contains("Redeeming invite... done");
        assertThat(run.stdout()).doesNotContain(FakeProxy.TOTP_SECRET).doesNotContain(FakeProxy.RECOVERY_CODES.get(0));
    }

    // --- trust ---

    @Test
    void aWrongPinAbortsBeforeAnyRequestIsSentAndWritesNothing() {
        byte[] otherPin = new byte[32];
        otherPin[0] = 1;
        String link = proxy.invite(proxy.origin(), otherPin);

        AgentRun run = AgentRun.run(home, ANSWERS, "enroll", link);

        assertThat(run.exitCode()).isEqualTo(ExitCode.UNTRUSTED_SERVER.code()).isEqualTo(4);
        assertThat(run.stderr()).contains("the proxy's certificate does not match the invite link's pin");
        assertThat(proxy.requests()).isEmpty();
        assertThat(state()).doesNotExist();
        assertThat(run.all()).doesNotContain(link.substring(link.indexOf("/enroll/") + 8, link.indexOf('#')));
    }

    @Test
    void theRightPinForACertificateThatDoesNotNameTheHostIsRefused() throws Exception {
        try (FakeProxy elsewhere = new FakeProxy(List.of("proxy.example.com"), List.of())) {
            AgentRun run = AgentRun.run(home, ANSWERS, "enroll", elsewhere.invite());

            assertThat(run.exitCode()).isEqualTo(4);
            assertThat(run.stderr()).contains("matches the invite link's pin but the server's certificate is not valid for 127.0.0.1");
            assertThat(elsewhere.requests()).isEmpty();
            assertThat(state()).doesNotExist();
        }
    }

    @Test
    void anUnreachableProxyIsANetworkError() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        String link = proxy.invite(URI.create("https://127.0.0.1:" + closedPort), proxy.pin());

        AgentRun run = AgentRun.run(home, ANSWERS, "enroll", link);

        assertThat(run.exitCode()).isEqualTo(ExitCode.UNREACHABLE.code()).isEqualTo(5);
        assertThat(run.stderr()).contains("cannot connect to https://127.0.0.1:" + closedPort);
        assertThat(state()).doesNotExist();
    }

    // --- the server says no ---

    @Test
    void aUsedTokenGetsTheServersNeutralMessageAndExitCode2() {
        String link = proxy.invite();
        assertThat(AgentRun.run(home, ANSWERS, "enroll", link, "--state-dir", home.resolve("first").toString()).exitCode()).isZero();

        AgentRun again = AgentRun.run(home, ANSWERS, "enroll", link, "--state-dir", home.resolve("second").toString());

        assertThat(again.exitCode()).isEqualTo(ExitCode.SERVER_REFUSED.code()).isEqualTo(2);
        assertThat(again.stderr()).contains("portcullis-agent: " + FakeProxy.NEUTRAL);
        assertThat(home.resolve("second")).doesNotExist();
    }

    @Test
    void anUnknownTokenGetsTheSameNeutralMessage() {
        AgentRun run = AgentRun.run(home, ANSWERS, "enroll", proxy.unknownInvite());

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.stderr()).contains(FakeProxy.NEUTRAL);
        assertThat(run.stdout()).contains("Redeeming invite... failed");
        assertThat(proxy.paths()).containsExactly("/api/v1/enroll/redeem");
    }

    @Test
    void aWeakPasswordIsRePromptedWithTheServersMessage() {
        AgentRun run = enroll("short\nshort\n" + ANSWERS);

        assertThat(run.exitCode()).as(run.all()).isEqualTo(0);
        assertThat(run.stdout()).contains("Setting password... failed\n" + FakeProxy.PASSWORD_RULES)
                .contains("Setting password... done");
        assertThat(proxy.paths().stream().filter(p -> p.endsWith("/password"))).hasSize(2);
    }

    @Test
    void twoDifferentPasswordEntriesAreAskedForAgainWithoutBotheringTheServer() {
        AgentRun run = enroll(PASSWORD + "\nsomething else entirely\n" + ANSWERS);

        assertThat(run.exitCode()).as(run.all()).isEqualTo(0);
        assertThat(run.stdout()).contains("The two passwords differ.");
        assertThat(proxy.paths().stream().filter(p -> p.endsWith("/password"))).hasSize(1);
    }

    @Test
    void threeRefusedPasswordsEndTheEnrollmentWithExitCode2() {
        AgentRun run = enroll("short\nshort\nshorter\nshorter\ntiny\ntiny\n");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.stderr()).contains(FakeProxy.PASSWORD_RULES).contains("giving up after 3 attempts");
        assertThat(proxy.paths()).doesNotContain("/api/v1/enroll/devices");
    }

    @Test
    void aWrongTotpCodeIsRePromptedWithTheServersMessage() {
        AgentRun run = enroll(PASSWORD + "\n" + PASSWORD + "\n111111\n" + FakeProxy.GOOD_CODE + "\n");

        assertThat(run.exitCode()).as(run.all()).isEqualTo(0);
        assertThat(run.stdout()).contains(FakeProxy.WRONG_CODE);
        assertThat(proxy.paths().stream().filter(p -> p.endsWith("/totp/confirm"))).hasSize(2);
        assertThat(proxy.paths().stream().filter(p -> p.endsWith("/totp/start"))).hasSize(1);
    }

    @Test
    void somethingThatIsNotASixDigitCodeIsAskedForAgainWithoutBotheringTheServer() {
        AgentRun run = enroll(PASSWORD + "\n" + PASSWORD + "\n12345\n" + FakeProxy.GOOD_CODE + "\n");

        assertThat(run.exitCode()).as(run.all()).isEqualTo(0);
        assertThat(run.stdout()).contains("Enter the 6 digits");
        assertThat(proxy.paths().stream().filter(p -> p.endsWith("/totp/confirm"))).hasSize(1);
    }

    @Test
    void aLocationRequiringASecurityKeyStopsRightAfterRedeemWithExitCode3AndWritesNothing() {
        proxy.requireWebauthn();

        AgentRun run = enroll(ANSWERS);

        assertThat(run.exitCode()).isEqualTo(ExitCode.NEEDS_BROWSER.code()).isEqualTo(3);
        assertThat(run.stderr()).contains("requires a security key").contains("web browser").contains("new invite link");
        assertThat(proxy.paths()).containsExactly("/api/v1/enroll/redeem");
        assertThat(state()).doesNotExist();
    }

    // --- local state ---

    @Test
    void reEnrollingWithoutForceIsRefusedBeforeTheInviteIsSpentAndWithForceReplacesTheKeys() throws Exception {
        assertThat(enroll(ANSWERS).exitCode()).isZero();
        WireGuardPrivateKey first = storedWireGuardKey();
        int requestsBefore = proxy.requests().size();

        AgentRun refused = enroll(ANSWERS);

        assertThat(refused.exitCode()).isEqualTo(ExitCode.LOCAL_STATE.code()).isEqualTo(6);
        assertThat(refused.stderr()).contains("already enrolled").contains("--force").contains("The invite link was not used");
        assertThat(proxy.requests()).hasSize(requestsBefore);
        assertThat(storedWireGuardKey()).isEqualTo(first);

        AgentRun forced = enroll(ANSWERS, "--force");

        assertThat(forced.exitCode()).as(forced.all()).isZero();
        assertThat(storedWireGuardKey()).isNotEqualTo(first);
        assertThat(proxy.registered()).hasSize(2);
        assertThat(proxy.registered().get(1).wireguardPublicKey()).isEqualTo(storedWireGuardKey().publicKey().base64());
    }

    @Test
    void theStateDirectoryComesFromTheEnvironmentWhenNotGiven() {
        Path custom = home.resolve("from-env");

        AgentRun run = AgentRun.run(Map.of("PORTCULLIS_AGENT_HOME", custom.toString()), home, ANSWERS, "enroll", proxy.invite());

        assertThat(run.exitCode()).as(run.all()).isZero();
        assertThat(custom.resolve("enrollment.json")).exists();
        assertThat(state()).doesNotExist();
    }

    @Test
    void thePasswordCanComeFromAnOwnerOnlyFile() throws Exception {
        Path file = home.resolve("password.txt");
        Files.writeString(file, PASSWORD + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));

        AgentRun run = enroll(FakeProxy.GOOD_CODE + "\n", "--password-file", file.toString());

        assertThat(run.exitCode()).as(run.all()).isZero();
        assertThat(proxy.requests().get(1).body()).isEqualTo("{\"password\":\"" + PASSWORD + "\"}");
    }

    @Test
    void aPasswordFileOthersCanReadIsRefusedBeforeTheInviteIsSpent() throws Exception {
        Path file = home.resolve("password.txt");
        Files.writeString(file, PASSWORD + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

        AgentRun run = enroll(FakeProxy.GOOD_CODE + "\n", "--password-file", file.toString());

        assertThat(run.exitCode()).isEqualTo(ExitCode.USAGE.code());
        assertThat(run.stderr()).contains("can be read by other users").contains("chmod 600");
        assertThat(proxy.requests()).isEmpty();
    }

    @Test
    void aRefusedPasswordFromAFileIsNotRetried() throws Exception {
        Path file = home.resolve("password.txt");
        Files.writeString(file, "short\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));

        AgentRun run = enroll("", "--password-file", file.toString());

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.stderr()).contains(FakeProxy.PASSWORD_RULES);
        assertThat(proxy.paths().stream().filter(p -> p.endsWith("/password"))).hasSize(1);
    }

    // --- input ---

    @Test
    void theInviteLinkIsAskedForWhenNotGivenSoItStaysOutOfTheProcessList() {
        AgentRun run = AgentRun.run(home, proxy.invite() + "\n" + ANSWERS, "enroll", "--device-name", "laptop");

        assertThat(run.exitCode()).as(run.all()).isZero();
        assertThat(run.stderr()).contains("Invite link:");
    }

    @Test
    void aMalformedLinkIsAUsageErrorThatDoesNotRepeatTheToken() {
        String link = proxy.invite();
        String token = link.substring(link.indexOf("/enroll/") + 8, link.indexOf('#'));
        String withoutPin = link.substring(0, link.indexOf('#'));

        AgentRun run = AgentRun.run(home, ANSWERS, "enroll", withoutPin);

        assertThat(run.exitCode()).isEqualTo(ExitCode.USAGE.code()).isEqualTo(1);
        assertThat(run.stderr()).contains("no #ca= pin");
        assertThat(run.all()).doesNotContain(token);
        assertThat(proxy.requests()).isEmpty();
    }

    @Test
    void aMistypedCommandDoesNotEchoTheInviteToken() {
        String link = proxy.invite();
        String token = link.substring(link.indexOf("/enroll/") + 8, link.indexOf('#'));

        AgentRun run = AgentRun.run(home, "", "enrol", link);

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.stderr()).contains("<redacted>").doesNotContain(token);
    }

    @Test
    void anInvalidDeviceNameIsRefusedBeforeTheInviteIsSpent() {
        AgentRun run = AgentRun.run(home, ANSWERS, "enroll", proxy.invite(), "--device-name", "laptop;rm -rf");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.stderr()).contains("--device-name may use only letters, digits");
        assertThat(proxy.requests()).isEmpty();
    }

    @Test
    void inputEndingBeforeTheTotpCodeIsAUsageErrorWithoutAStackTrace() {
        AgentRun run = enroll(PASSWORD + "\n" + PASSWORD + "\n");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.stderr()).contains("input ended while waiting for: 6-digit code").doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void controlCharactersFromTheServerCannotDriveTheTerminal() {
        proxy.displayName("Alice\u001b[2J\u001b]0;pwned\u0007");

        AgentRun run = enroll(ANSWERS);

        assertThat(run.exitCode()).as(run.all()).isZero();
        assertThat(run.all()).doesNotContain("\u001b").doesNotContain("\u0007").contains("Enrolling Alice?[2J?]0;pwned?");
    }

    // --- helpers ---

    private WireGuardPrivateKey storedWireGuardKey() throws Exception {
        return WireGuardPrivateKey.fromBytes(Base64.getDecoder().decode(Files.readString(state().resolve("wireguard.key")).strip()));
    }

    private PrivateKey storedCredential() throws Exception {
        return CredentialStore.readKey(Files.readString(state().resolve("device-credential.pem")));
    }
}
