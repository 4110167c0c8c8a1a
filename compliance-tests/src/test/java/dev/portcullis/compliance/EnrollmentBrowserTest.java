package dev.portcullis.compliance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcullis.gateway.testnet.TestNetwork;
import dev.portcullis.gateway.testnet.TestNetwork.Namespace;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.virtualauthenticator.VirtualAuthenticator;

/**
 * Enrollment by a one-time invite link, end to end on real processes: the quickstart deployment
 * (core with embedded PostgreSQL, edge-proxy), the admin CLI, Debian's chromium with a virtual
 * WebAuthn authenticator, Debian's oathtool as the user's authenticator app, a real gateway with
 * wireguard-go in a network namespace, and a standard WireGuard client configured with
 * {@code wg-quick strip | wg setconf} from the file the browser produced.
 * <pre>
 *   quickstart (host ns): core, edge-1, gateway-1 (not in the location)
 *        |
 *   10.99.9.0/30 (core dials the gateway's control port at 10.99.9.2)
 *        |
 *      [gw] gateway gw-e2e, wireguard-go, location "office", tunnel 10.80.0.1/24
 *      /   \
 *  192.0.2.0/24   198.51.100.0/24
 *    [dev]           [svc] 198.51.100.2 (the ACL lets the pool ping it)
 *    wireguard-go + wg, the browser's configuration
 * </pre>
 * The deployment is shared with {@link EnrollmentEdgeHygieneTest} ({@link SharedEnrollmentDeployment}).
 * Screenshots of every browser step: {@code compliance-tests/<build dir>/evidence/enrollment/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(SharedEnrollmentDeployment.class)
class EnrollmentBrowserTest {

    private static final String LOCATION = "office";
    private static final String GROUP = "office-staff";
    private static final String POOL = "10.80.0.0/24";
    private static final String GATEWAY_TUNNEL = "10.80.0.1";
    private static final String SERVICE = "198.51.100.2";
    private static final String SERVICES = "198.51.100.0/24";
    /** Core dials the gateway here; with the gateway's WireGuard port it is also the endpoint devices get. */
    private static final String GATEWAY_HOST = "10.99.9.2";
    private static final int GATEWAY_WG_PORT = 51820;
    /** How long a tunnel gets to come up, polled with bounded pings. */
    private static final Duration SETTLE = Duration.ofSeconds(20);

    private EnrollmentDeployment deployment;
    private TestNetwork net;
    private Namespace gw;
    private Namespace dev;
    private Process gateway;
    private String gatewayInterface;
    private String gatewayPublicKey;
    private Browser browser;
    private VirtualAuthenticator authenticator;

    // what the browser enrollment produced, for the later checks
    private EnrollmentDeployment.Invite invite;
    private String password;
    private String totpSecret;
    private final List<String> recoveryCodes = new ArrayList<>();
    private String deviceConfig;
    private String devicePrivateKey;
    private final List<String> tokens = new ArrayList<>();
    private final Map<String, byte[]> agentSecrets = new LinkedHashMap<>();
    private final List<String> agentRecoveryCodes = new ArrayList<>();
    private String agentPassword;
    private String agentTotpSecret;

    @BeforeAll
    void deploy(EnrollmentDeployment shared) throws Exception {
        deployment = shared;
        net = new TestNetwork();
        gatewayInterface = net.interfaceName("g");
        gw = net.namespace("gw");
        dev = net.namespace("dev");
        Namespace svc = net.namespace("svc");
        net.linkToHost(gw, "10.99.9.1/30", GATEWAY_HOST + "/30");
        net.link(gw, "192.0.2.1/24", dev, "192.0.2.2/24");
        net.link(gw, "198.51.100.1/24", svc, SERVICE + "/24");
        net.exec(gw, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
        net.exec(svc, "ip", "route", "add", POOL, "via", "198.51.100.1");
        // The device reaches the gateway's announced endpoint (its control-side address) across the underlay.
        net.exec(dev, "ip", "route", "add", "10.99.9.0/30", "via", "192.0.2.1");

        // Restricted to this class's group: users of other classes sharing the deployment get no address here.
        deployment.admin("group", "add", GROUP);
        deployment.addLocation(LOCATION, POOL, "--route", SERVICES, "--group", GROUP);
        startGateway();
        AdminHttp.Reply acl = deployment.adminHttp().put("/api/v1/locations/" + LOCATION + "/acl", Map.of(
                "rules", List.of(Map.of("sources", List.of(POOL), "destinations", List.of(SERVICE + "/32"), "protocol", "icmp")),
                "masqueradeDestinations", List.of()));
        assertThat(acl.status()).as(String.valueOf(acl.body())).isEqualTo(200);

        deployment.addUser("alice", "alice@example.com", "Alice Example", "--group", GROUP);
        invite = deployment.invite("alice");
        tokens.add(invite.token());
        assertThat(invite.pin()).as("the link's #ca pin is the certificate the proxy presents").isEqualTo(deployment.proxyPin());
        browser = Browser.start(Browser.evidenceDirectory("enrollment"), deployment.proxyChain());
        authenticator = browser.addVirtualAuthenticator();
    }

    /** The location's gateway: registered, started in its namespace with wireguard-go, connected, in the location. */
    private void startGateway() throws Exception {
        AdminHttp admin = deployment.adminHttp();
        AdminHttp.Reply registered = admin.post("/api/v1/components",
                Map.of("name", "gw-e2e", "role", "gateway", "address", GATEWAY_HOST + ":7444"));
        assertThat(registered.status()).as(String.valueOf(registered.body())).isEqualTo(201);
        Path token = deployment.work.resolve("gw.token");
        Files.writeString(token, registered.body().get("joinToken").asText());
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        gateway = net.start(gw, deployment.work.resolve("gateway-gw-e2e.log"), java, "-Xmx96m", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-jar", Artifacts.jar("gateway").toString(),
                "--control-listen", GATEWAY_HOST + ":7444", "--health-listen", "127.0.0.1:9444",
                "--state-dir", deployment.work.resolve("gateway-gw-e2e").toString(), "--wg-interface", gatewayInterface,
                "--wg-listen-port", Integer.toString(GATEWAY_WG_PORT), "--wg-implementation", "userspace",
                "--join-token-file", token.toString());
        EnrollmentDeployment.await("gw-e2e connected to core", Duration.ofSeconds(90), () -> {
            for (JsonNode component : admin.get("/api/v1/components").body()) {
                if ("gw-e2e".equals(component.path("name").asText()) && component.toString().contains("CONNECTED")) {
                    return true;
                }
            }
            return false;
        });
        AdminHttp.Reply settings = admin.put("/api/v1/components/gw-e2e/settings",
                Map.of("location", LOCATION, "tunnelAddresses", List.of(GATEWAY_TUNNEL + "/24")));
        assertThat(settings.status()).as(String.valueOf(settings.body())).isEqualTo(200);
        gatewayPublicKey = net.exec(gw, "wg", "show", gatewayInterface, "public-key").strip();
    }

    @AfterAll
    void tearDown() throws Exception {
        try {
            if (browser != null) {
                browser.close();
            }
        } finally {
            try {
                if (gateway != null) {
                    gateway.destroy();
                }
                if (net != null) {
                    net.close();
                }
            } finally {
                if (deployment != null) {
                    // The location's gateway is gone with its namespace: unregister it, so the shared
                    // deployment's status shows no component that will never come back.
                    deployment.adminHttp().delete("/api/v1/components/gw-e2e");
                }
            }
        }
    }

    // ---- the browser enrollment ----------------------------------------------------------------------

    @Test
    @Order(1)
    void aUserEnrollsInTheBrowserWithPasswordTotpWebAuthnRecoveryCodesAndAWireGuardConfiguration() throws Exception {
        try {
            enrollInBrowser();
        } catch (AssertionError | RuntimeException e) {
            browser.screenshot("failure");
            throw new AssertionError(e.getMessage() + "\n--- browser console:\n" + browser.console()
                    + "\n--- deployment logs:\n" + deployment.logTails(), e);
        }
    }

    private void enrollInBrowser() throws Exception {
        browser.open(invite.link());
        assertThat(browser.textOf("#welcome-name")).contains("Alice Example");
        assertOneStepVisible("step-welcome");
        browser.screenshot("welcome");
        assertThat(browser.driver().getCurrentUrl()).as("the page removes the token from the address bar once redeemed")
                .doesNotContain(invite.token());
        browser.click("#welcome-continue");

        browser.visible("#step-password");
        browser.type("#password", "password");
        browser.type("#password-confirm", "password");
        browser.click("#password-submit");
        String rule = browser.textOf("#password-error");
        assertOneStepVisible("step-password");
        browser.screenshot("weak-password-refused");
        assertThat(rule).as("the rule the weak password breaks").isNotBlank();

        password = "Harbor-lantern-" + randomWord() + "-quietly-7";
        browser.type("#password", password);
        browser.type("#password-confirm", password);
        browser.screenshot("strong-password");
        browser.click("#password-submit");

        browser.visible("#step-totp");
        assertThat(browser.visible("#totp-qr").isDisplayed()).isTrue();
        totpSecret = browser.textOf("#totp-secret").replaceAll("\\s", "");
        assertThat(totpSecret).matches("[A-Z2-7]+=*");
        assertOneStepVisible("step-totp");
        browser.screenshot("totp-secret-shown");
        browser.type("#totp-code", Oathtool.totp(totpSecret));
        browser.screenshot("totp-code-entered");
        browser.click("#totp-submit");

        browser.visible("#step-webauthn");
        assertOneStepVisible("step-webauthn");
        browser.screenshot("webauthn");
        browser.type("#webauthn-name", "Virtual security key");
        browser.click("#webauthn-register");
        browser.awaitText("#webauthn-list", "Virtual security key");
        assertThat(authenticator.getCredentials()).as("credentials on the virtual authenticator").hasSize(1);
        browser.screenshot("webauthn-registered");
        browser.click("#webauthn-continue");

        browser.visible("#step-recovery");
        assertOneStepVisible("step-recovery");
        EnrollmentDeployment.await("ten recovery codes", Browser.WAIT,
                () -> browser.driver().findElements(By.cssSelector("#recovery-codes li")).size() == 10);
        for (WebElement code : browser.driver().findElements(By.cssSelector("#recovery-codes li"))) {
            recoveryCodes.add(code.getText().strip());
        }
        assertThat(recoveryCodes).doesNotHaveDuplicates().allSatisfy(code -> assertThat(code).isNotBlank());
        browser.screenshot("recovery-codes");
        browser.click("#recovery-ack");
        browser.click("#recovery-continue");

        browser.visible("#step-device");
        assertOneStepVisible("step-device");
        browser.screenshot("device");
        browser.type("#device-name", "alice-laptop");
        browser.click("#device-generate");
        deviceConfig = browser.awaitText("#device-config", "[Peer]");
        devicePrivateKey = value(section(deviceConfig, "Interface"), "PrivateKey");
        assertThat(Base64.getDecoder().decode(devicePrivateKey)).hasSize(32);
        // Evidence files get filed and shared: the screenshot shows the page with the private key
        // (and the QR code that encodes it) masked, after the test has read what the page made.
        browser.script("const pre = document.getElementById('device-config');"
                + "pre.textContent = pre.textContent.replace(/^PrivateKey = .*$/m, 'PrivateKey = <masked in evidence>');"
                + "document.getElementById('device-qr').style.visibility = 'hidden';");
        browser.screenshot("device-config");
        browser.click("#device-finish");

        browser.visible("#step-done");
        assertOneStepVisible("step-done");
        browser.screenshot("done");
    }

    @Test
    @Order(2)
    void theAdminSeesTheUserActiveWithOneDevice() throws Exception {
        JsonNode alice = deployment.user("alice");
        assertThat(alice.path("user").path("state").asText()).as(alice.toString()).isEqualTo("ACTIVE");
        assertThat(alice.path("passwordSet").asBoolean()).as(alice.toString()).isTrue();
        assertThat(alice.path("totp").asBoolean()).as(alice.toString()).isTrue();
        assertThat(alice.path("webauthnCredentials").asInt()).as(alice.toString()).isEqualTo(1);
        assertThat(alice.path("recoveryCodesLeft").asInt()).as(alice.toString()).isEqualTo(10);
        JsonNode devices = alice.path("devices");
        assertThat(devices.size()).as("alice's devices: " + alice).isEqualTo(1);
        assertThat(devices.get(0).path("name").asText()).isEqualTo("alice-laptop");
        assertThat(devices.get(0).path("kind").asText()).isEqualToIgnoringCase("config");
    }

    @Test
    @Order(3)
    void reopeningTheUsedLinkShowsOnlyTheNeutralInvalidLinkMessage() throws Exception {
        browser.open(invite.link());
        String message = browser.awaitText("#error", "not valid");
        browser.screenshot("used-link-refused");
        assertThat(message.strip()).isEqualTo(EnrollmentDeployment.INVALID_INVITE_MESSAGE);
        assertThat(browser.driver().findElements(By.cssSelector("[id^=step-]")).stream().filter(WebElement::isDisplayed)
                .map(e -> e.getAttribute("id")).toList()).as("no enrollment step is offered").doesNotContain(
                "step-password", "step-totp", "step-webauthn", "step-recovery", "step-device", "step-done");
    }

    // ---- the configuration the browser produced works with standard WireGuard tools ---------------------

    /**
     * Applies the browser's wg-quick file to a wireguard-go interface in the device namespace with
     * {@code wg-quick strip | wg setconf} and gets a handshake and a ping through the real gateway.
     *
     * <p>Why a {@code PresharedKey} line is added: gateways admit a device only for a tunnel session,
     * and each session has its own preshared key (ARCHITECTURE.md, tunnel-level MFA). Tunnel MFA
     * sessions are the next issue; until then an admin admits a device with {@code peer admit},
     * which returns the session's preshared key once. The file the browser produced at enrollment
     * cannot contain it (no session existed then), so the test admits the browser device's public
     * key as an admin would and adds exactly that line to the [Peer] section. Everything else (the
     * private key, the address, the gateway's public key and endpoint, the allowed IPs) is used
     * as the browser wrote it.
     */
    @Test
    @Order(4)
    void theBrowsersWgQuickConfigurationGetsAHandshakeAndAPingThroughTheRealGateway() throws Exception {
        assertThat(deviceConfig).as("the browser enrollment produced a configuration").isNotNull();
        Map<String, String> peer = section(deviceConfig, "Peer");
        assertThat(peer.get("PublicKey")).as("the gateway's real public key").isEqualTo(gatewayPublicKey);
        assertThat(peer.get("Endpoint")).as("the gateway's endpoint").isEqualTo(GATEWAY_HOST + ":" + GATEWAY_WG_PORT);
        Map<String, String> iface = section(deviceConfig, "Interface");
        List<String> addresses = List.of(iface.get("Address").split("\\s*,\\s*"));
        String address = addresses.get(0);
        assertThat(address).as("a tunnel address from the pool, not the gateway's").startsWith("10.80.0.").endsWith("/32")
                .isNotEqualTo(GATEWAY_TUNNEL + "/32");
        List<String> allowed = List.of(peer.get("AllowedIPs").split("\\s*,\\s*"));
        assertThat(allowed).contains(POOL, SERVICES);

        String deviceInterface = net.interfaceName("d");
        Path config = deployment.work.resolve(deviceInterface + ".conf");
        try {
            applyAndPing(config, deviceInterface, iface, peer, addresses, address, allowed);
        } finally {
            // It holds the device's private key and the session's preshared key: do not leave it behind.
            Files.deleteIfExists(config);
        }
    }

    private void applyAndPing(Path config, String deviceInterface, Map<String, String> iface, Map<String, String> peer,
                              List<String> addresses, String address, List<String> allowed) throws Exception {
        Files.writeString(config, "");
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-------"));
        Files.writeString(config, deviceConfig);
        net.exec(dev, "wireguard-go", deviceInterface);
        net.exec(dev, "bash", "-c", "wg-quick strip '" + config + "' | wg setconf " + deviceInterface + " /dev/stdin");
        for (String a : addresses) {
            net.exec(dev, "ip", "address", "add", a, "dev", deviceInterface);
        }
        if (iface.containsKey("MTU")) {
            net.exec(dev, "ip", "link", "set", deviceInterface, "mtu", iface.get("MTU"));
        }
        net.exec(dev, "ip", "link", "set", deviceInterface, "up");
        for (String network : allowed) {
            net.exec(dev, "ip", "route", "replace", network, "dev", deviceInterface);
        }
        assertThat(ping(SERVICE)).as("before admission the gateway stays silent").isFalse();
        assertThat(latestHandshake(deviceInterface)).isZero();

        String devicePublicKey = wgPubkey(devicePrivateKey);
        JsonNode admitted = deployment.adminJson("peer", "admit", LOCATION, "--public-key", devicePublicKey,
                "--allowed-ip", address, "--lifetime", "10m");
        String psk = admitted.path("presharedKey").asText();
        assertThat(Base64.getDecoder().decode(psk)).hasSize(32);
        Files.writeString(config, deviceConfig.replaceFirst("(?m)^\\[Peer\\]\\s*$", "[Peer]\nPresharedKey = " + psk));
        net.exec(dev, "bash", "-c", "wg-quick strip '" + config + "' | wg setconf " + deviceInterface + " /dev/stdin");

        EnrollmentDeployment.await("a ping through the tunnel to " + SERVICE, SETTLE, () -> ping(SERVICE));
        assertThat(latestHandshake(deviceInterface)).as("a WireGuard handshake with the gateway").isPositive();
        assertThat(net.exec(gw, "wg", "show", gatewayInterface, "peers")).contains(devicePublicKey);
    }

    // ---- the agent path ---------------------------------------------------------------------------------

    @Test
    @Order(5)
    void theAgentEnrollsFromASecondInviteWithPasswordAndTotpOnStdin() throws Exception {
        deployment.addUser("bob", "bob@example.com", "Bob Example", "--group", GROUP);
        EnrollmentDeployment.Invite second = deployment.invite("bob");
        tokens.add(second.token());
        Path agentHome = deployment.work.resolve("agent-bob");
        agentPassword = "Copper-meadow-" + randomWord() + "-slowly-3";

        AgentProcess.Result enrolled = AgentProcess.enroll(agentHome, second.link(), agentPassword, "bob-laptop");
        Files.writeString(deployment.work.resolve("agent-enroll.log"), enrolled.output());
        agentTotpSecret = enrolled.totpSecret();
        assertThat(enrolled.exitCode()).as(enrolled.output()).isZero();
        assertThat(agentTotpSecret).as("the TOTP secret the agent showed").isNotNull();
        java.util.regex.Matcher codes = java.util.regex.Pattern.compile("(?m)^\\s+([a-z2-7]{4}(?:-[a-z2-7]{4}){3})\\s*$")
                .matcher(enrolled.stderr());
        while (codes.find()) {
            agentRecoveryCodes.add(codes.group(1));
        }
        assertThat(agentRecoveryCodes).as("the recovery codes the agent showed").hasSize(10);
        JsonNode result = EnrollmentDeployment.JSON.readTree(enrolled.stdout());
        assertThat(result.isObject()).as(enrolled.stdout()).isTrue();

        JsonNode bob = deployment.user("bob");
        assertThat(bob.path("user").path("state").asText()).as(bob.toString()).isEqualTo("ACTIVE");
        JsonNode devices = bob.path("devices");
        assertThat(devices.isArray() && devices.size() == 1).as("bob's devices: " + bob).isTrue();
        assertThat(devices.get(0).path("kind").asText()).as(bob.toString()).isEqualToIgnoringCase("agent");

        // The private keys: generated by the agent, in its state directory only, owner-only.
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(agentHome))).isEqualTo("rwx------");
        for (String name : List.of("wireguard.key", "device-credential.pem")) {
            Path key = agentHome.resolve(name);
            assertThat(key).as("private key file").isRegularFile();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).as(key.toString()).isEqualTo("rw-------");
            agentSecrets.put(name, Files.readAllBytes(key));
        }
        String wireguardPrivate = new String(agentSecrets.get("wireguard.key"), StandardCharsets.UTF_8).strip();
        assertThat(enrolled.output()).as("the agent's output").doesNotContain(wireguardPrivate);
        try (var files = Files.list(agentHome)) {
            for (Path other : files.filter(p -> !List.of("wireguard.key", "device-credential.pem").contains(p.getFileName().toString())).toList()) {
                assertThat(Files.readString(other)).as(other + " holds no private key").doesNotContain(wireguardPrivate)
                        .doesNotContain("PRIVATE KEY");
            }
        }

        AgentProcess.Result status = AgentProcess.run(agentHome, "status", "--json");
        assertThat(status.exitCode()).as(status.output()).isZero();
        JsonNode parsed = EnrollmentDeployment.JSON.readTree(status.stdout());
        assertThat(parsed.isObject()).as(status.output()).isTrue();
        assertThat(parsed.toString()).contains("bob-laptop").doesNotContain(wireguardPrivate);
    }

    // ---- secrets stay where they belong -------------------------------------------------------------------

    @Test
    @Order(6)
    void recoveryCodesAndPrivateKeysAppearNowhereInCoresOrTheProxysLogsOrState() throws Exception {
        assertThat(recoveryCodes).as("the browser enrollment showed recovery codes").hasSize(10);
        assertThat(devicePrivateKey).isNotNull();
        List<Path> roots = List.of(deployment.quickstart.state);
        Map<String, byte[]> secrets = new LinkedHashMap<>();
        for (String code : recoveryCodes) {
            secrets.put("recovery code " + code, code.getBytes(StandardCharsets.UTF_8));
            secrets.put("recovery code without dashes " + code, code.replace("-", "").getBytes(StandardCharsets.UTF_8));
        }
        secrets.put("browser device private key (base64)", devicePrivateKey.getBytes(StandardCharsets.UTF_8));
        secrets.put("browser device private key (raw bytes)", Base64.getDecoder().decode(devicePrivateKey));
        secrets.put("alice's password", password.getBytes(StandardCharsets.UTF_8));
        secrets.put("alice's TOTP secret", totpSecret.getBytes(StandardCharsets.UTF_8));
        if (agentPassword != null) {
            secrets.put("bob's password", agentPassword.getBytes(StandardCharsets.UTF_8));
        }
        if (agentTotpSecret != null) {
            secrets.put("bob's TOTP secret", agentTotpSecret.getBytes(StandardCharsets.UTF_8));
        }
        for (Map.Entry<String, byte[]> key : agentSecrets.entrySet()) {
            secrets.put("agent key file " + key.getKey(), key.getValue());
            for (String line : new String(key.getValue(), StandardCharsets.UTF_8).split("\\R")) {
                if (line.strip().length() >= 40) {
                    secrets.put("agent key file " + key.getKey() + " line " + line.strip().substring(0, 8), line.strip().getBytes(StandardCharsets.UTF_8));
                }
            }
        }
        for (String token : tokens) {
            secrets.put("invite token " + token, token.getBytes(StandardCharsets.UTF_8));
        }
        for (String code : agentRecoveryCodes) {
            secrets.put("bob's recovery code " + code, code.getBytes(StandardCharsets.UTF_8));
            secrets.put("bob's recovery code without dashes " + code, code.replace("-", "").getBytes(StandardCharsets.UTF_8));
        }
        Map<String, List<String>> found = EnrollmentDeployment.filesContaining(roots, secrets);
        assertThat(found).as("secrets found in core's or the proxy's logs or state (" + roots + ")").isEmpty();
    }

    // ---- helpers ---------------------------------------------------------------------------------------

    private void assertOneStepVisible(String id) {
        List<String> visible = browser.driver().findElements(By.cssSelector("section[id^=step-], [id^=step-]")).stream()
                .filter(WebElement::isDisplayed).map(e -> e.getAttribute("id")).distinct().toList();
        assertThat(visible).as("the visible #step-* sections").containsExactly(id);
    }

    /** The key = value lines of one [Section] of a wg-quick file (first occurrence). */
    static Map<String, String> section(String config, String name) {
        Map<String, String> values = new LinkedHashMap<>();
        boolean inside = false;
        for (String raw : config.split("\\R")) {
            String line = raw.strip();
            if (line.startsWith("[")) {
                if (inside) {
                    break;
                }
                inside = line.equalsIgnoreCase("[" + name + "]");
                continue;
            }
            int eq = line.indexOf('=');
            if (inside && eq > 0 && !line.startsWith("#")) {
                values.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
            }
        }
        assertThat(values).as("[" + name + "] in:\n" + config).isNotEmpty();
        return values;
    }

    private static String value(Map<String, String> section, String key) {
        assertThat(section).containsKey(key);
        return section.get(key);
    }

    private boolean ping(String address) {
        return net.tryExec(dev, "ping", "-c", "2", "-i", "0.3", "-W", "1", address).exitCode() == 0;
    }

    private long latestHandshake(String deviceInterface) {
        String line = net.exec(dev, "wg", "show", deviceInterface, "latest-handshakes").strip();
        return line.isEmpty() ? 0 : Long.parseLong(line.split("\\s+")[1]);
    }

    private static String wgPubkey(String privateKey) throws Exception {
        Process process = new ProcessBuilder("wg", "pubkey").redirectErrorStream(true).start();
        process.getOutputStream().write((privateKey + "\n").getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        return out;
    }

    private static String randomWord() {
        byte[] bytes = new byte[9];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes).replace('-', 'x').replace('_', 'y');
    }
}
