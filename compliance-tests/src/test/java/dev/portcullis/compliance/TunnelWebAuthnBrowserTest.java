package dev.portcullis.compliance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcullis.agent.api.EnrollmentApi;
import dev.portcullis.agent.api.Json;
import dev.portcullis.agent.state.DeviceKeys;
import dev.portcullis.agent.state.EnrollmentRecord;
import dev.portcullis.agent.state.StateDirectory;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.virtualauthenticator.VirtualAuthenticator;

/**
 * A tunnel session whose second factor is a security key, end to end on real processes: the
 * shared quickstart deployment (core with embedded PostgreSQL, edge-proxy), a gateway with
 * wireguard-go in its namespace ({@link TunnelLab}, index 4), {@code portcullis-agent} in a device
 * namespace, and Debian's chromium with a virtual WebAuthn authenticator doing the browser
 * hand-off of SESSION-API.md ("Browser hand-off for WebAuthn").
 * <p>
 * The user needs a security key <em>and</em> an agent device. The agent's {@code enroll} cannot
 * register a key and the enrollment pages register only browser ("config") devices, so the test
 * does what a browser-plus-agent client would: the pages take the user through password, security
 * key and recovery codes, and in that same enrollment session (the browser's cookie and CSRF
 * value) the test registers an agent device through the JSON API with keys made by the agent's
 * own classes, and writes the agent's state directory with them.
 * <p>
 * Order matters: enrollment, a tunnel confirmed in the browser, the spent link reopened, and an
 * {@code up} whose browser step never happens. Screenshots:
 * {@code compliance-tests/<build dir>/evidence/tunnel-webauthn/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(SharedEnrollmentDeployment.class)
class TunnelWebAuthnBrowserTest {

    private static final String LOCATION = "webauthn-e2e";
    private static final String GROUP = "webauthn-staff";
    private static final String USER = "erin";
    private static final String DEVICE = "erin-laptop";
    /** This class's rate-limit bucket at the edge-proxy for its own API calls (the browser is 127.0.0.1). */
    private static final String EDGE_SOURCE = "127.0.0.44";
    /** enroll.js keeps the session's CSRF value here (sessionStorage), for reloads. */
    private static final String CSRF_STORAGE_KEY = "portcullis-enroll-csrf";
    /** How the agent prints the hand-off link (SESSION-API.md: {@code <public origin>/mfa/<43 chars>}). */
    private static final Pattern BROWSER_URL = Pattern.compile("(https://localhost:\\d+/mfa/[A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])");
    /** SESSION-API.md: the one neutral answer for an unknown, used or expired link. */
    private static final String LINK_ENDED = "This sign-in link is not valid any more. Start again from your device.";
    /** The agent is a cold JVM that looks up the location and starts an attempt before it prints the link. */
    private static final Duration LINK_PRINTED = Duration.ofSeconds(60);
    /** From the browser's assertion to the agent's exit: its next poll (1 s), the gateways' acknowledgement, the interface. */
    private static final Duration ADMITTED = Duration.ofSeconds(90);
    /** How long the never-confirmed attempt is watched before its agent is stopped (SESSION-API.md: the attempt would live 5 min). */
    private static final Duration UNCONFIRMED_WATCH = Duration.ofSeconds(5);

    private EnrollmentDeployment deployment;
    private TunnelLab lab;
    private Browser browser;
    private VirtualAuthenticator authenticator;
    private EnrollmentDeployment.Invite invite;
    private TunnelLab.Device laptop;
    private String deviceKey;
    private String browserUrl;
    private String sessionId;
    private RunningAgent running;
    private String upOutput;

    @BeforeAll
    void setUp(EnrollmentDeployment shared) throws Exception {
        deployment = shared;
        lab = new TunnelLab(deployment, 4, LOCATION, GROUP, "--mfa", "webauthn");
        deployment.addUser(USER, "erin@example.com", "Erin Example", "--group", GROUP);
        invite = deployment.invite(USER);
        browser = Browser.start(Browser.evidenceDirectory("tunnel-webauthn"), deployment.proxyChain());
        authenticator = browser.addVirtualAuthenticator();
    }

    @AfterAll
    void tearDown() throws Exception {
        List<Throwable> failures = new ArrayList<>();
        cleanUp(failures, () -> {
            if (running != null) {
                running.close();
            }
        });
        cleanUp(failures, () -> {
            if (laptop != null) {
                lab.agent(laptop, "", "down", LOCATION);
            }
        });
        cleanUp(failures, () -> {
            if (browser != null) {
                browser.close();
            }
        });
        cleanUp(failures, () -> {
            if (lab != null) {
                lab.close();
            }
        });
        if (!failures.isEmpty()) {
            AssertionError error = new AssertionError("clean-up failed: " + failures.get(0).getMessage(), failures.get(0));
            failures.subList(1, failures.size()).forEach(error::addSuppressed);
            throw error;
        }
    }

    // ---- 1. enrollment: a security key in the browser, an agent device in the same session ----------------

    @Test
    @Order(1)
    void theUserEnrollsASecurityKeyInTheBrowserAndAnAgentDeviceInTheSameSession() throws Exception {
        withEvidence(this::enroll);
    }

    private void enroll() throws Exception {
        browser.open(invite.link());
        assertThat(browser.textOf("#welcome-name")).contains("Erin Example");
        browser.screenshot("welcome");
        browser.click("#welcome-continue");

        browser.visible("#step-password");
        String password = "Granite-orchard-" + randomWord() + "-slowly-4";
        browser.type("#password", password);
        browser.type("#password-confirm", password);
        browser.click("#password-submit");

        // The location accepts only a security key: the page lets the authenticator app be skipped.
        browser.visible("#step-totp");
        assertThat(browser.visible("#totp-skip").isDisplayed()).as("TOTP can be skipped for a webauthn-only location").isTrue();
        browser.screenshot("totp-skippable");
        browser.click("#totp-skip");

        browser.visible("#step-webauthn");
        browser.type("#webauthn-name", "Virtual security key");
        browser.click("#webauthn-register");
        browser.awaitText("#webauthn-list", "Virtual security key");
        assertThat(authenticator.getCredentials()).as("credentials on the virtual authenticator").hasSize(1);
        browser.screenshot("webauthn-registered");
        browser.click("#webauthn-continue");

        browser.visible("#step-recovery");
        EnrollmentDeployment.await("ten recovery codes", Browser.WAIT,
                () -> browser.driver().findElements(By.cssSelector("#recovery-codes li")).size() == 10);
        browser.screenshot("recovery-codes");
        browser.click("#recovery-ack");
        browser.click("#recovery-continue");
        browser.visible("#step-device");
        browser.screenshot("device-step");

        // The same enrollment session, from outside the page: the browser's cookie and the page's CSRF value.
        Cookie cookie = browser.driver().manage().getCookieNamed(EnrollmentDeployment.ENROLL_COOKIE);
        assertThat(cookie).as("the enrollment session cookie in the browser").isNotNull();
        Object csrf = browser.script("return window.sessionStorage.getItem('" + CSRF_STORAGE_KEY + "');");
        assertThat(csrf).as("the page's CSRF value").isInstanceOf(String.class);
        EdgeClient edge = deployment.edge(EDGE_SOURCE);
        String[] session = {"Cookie", EnrollmentDeployment.ENROLL_COOKIE + "=" + cookie.getValue(),
                "X-Portcullis-CSRF", (String) csrf, "Origin", deployment.origin};

        EdgeClient.Response progress = edge.get(EnrollmentApi.PREFIX + "session", session);
        assertThat(progress.status()).as(progress.toString()).isEqualTo(200);
        assertThat(progress.json().path("steps").path("webauthn").asInt()).as(progress.toString()).isEqualTo(1);
        assertThat(progress.json().path("requires").path("webauthn").asBoolean()).as(progress.toString()).isTrue();
        EnrollmentApi.User user = Json.mapper().treeToValue(progress.json().path("user"), EnrollmentApi.User.class);

        // The device's keys, made and stored by the agent's own code, as its enroll does before registering.
        Path stateDir = deployment.work.resolve("agent-" + USER);
        StateDirectory state = StateDirectory.resolve(stateDir, Map.of(), stateDir.getParent());
        DeviceKeys keys = DeviceKeys.generate();
        state.saveDeviceKeys(keys);
        deviceKey = keys.wireguardPublicKey().base64();

        EdgeClient.Response registered = edge.postJson(EnrollmentApi.DEVICES, EnrollmentDeployment.body(
                "name", DEVICE, "wireguardPublicKey", deviceKey, "credentialPublicKey", keys.credentialPublicKeyBase64(),
                "kind", EnrollmentApi.KIND_AGENT), session);
        assertThat(registered.status()).as(registered.toString()).isEqualTo(201);
        EnrollmentApi.DeviceRegistered device = Json.mapper().readValue(registered.body(), EnrollmentApi.DeviceRegistered.class);
        assertThat(device.device().kind()).isEqualToIgnoringCase("agent");
        assertThat(device.locations()).as(registered.toString()).anySatisfy(location -> {
            assertThat(location.name()).isEqualTo(LOCATION);
            assertThat(location.address()).startsWith("10." + (80 + lab.k) + ".0.");
            assertThat(location.gateways()).extracting(EnrollmentApi.Gateway::publicKey).contains(lab.gatewayPublicKey());
        });

        EdgeClient.Response completed = edge.postJson(EnrollmentApi.COMPLETE, Map.of(), session);
        assertThat(completed.status()).as(completed.toString()).isEqualTo(200);
        assertThat(completed.json().path("devices").asInt()).as(completed.toString()).isEqualTo(1);

        state.saveEnrollment(new EnrollmentRecord(EnrollmentRecord.FORMAT, deployment.origin, invite.pin(), user,
                device.device(), deviceKey, keys.credentialPublicKeyBase64(), device.locations(), Instant.now().toString()));
        laptop = lab.device("dev", stateDir);

        AgentProcess.Result status = lab.agent(laptop, "", "status");
        assertThat(status.exitCode()).as("the agent accepts the state: " + status.output()).isZero();
        JsonNode shown = EnrollmentDeployment.JSON.readTree(status.stdout());
        assertThat(shown.path("user").path("name").asText()).isEqualTo(USER);
        assertThat(shown.path("device").path("name").asText()).isEqualTo(DEVICE);
        assertThat(shown.path("wireguardPublicKey").asText()).isEqualTo(deviceKey);

        // A signed call: core knows the device credential the state holds.
        AgentProcess.Result locations = lab.agent(laptop, "", "locations");
        assertThat(locations.exitCode()).as(locations.output()).isZero();
        assertThat(locations.stdout()).contains(LOCATION).containsIgnoringCase("webauthn");

        JsonNode admin = deployment.user(USER);
        assertThat(admin.path("user").path("state").asText()).as(admin.toString()).isEqualTo("ACTIVE");
        assertThat(admin.path("webauthnCredentials").asInt()).as(admin.toString()).isEqualTo(1);
        assertThat(admin.path("devices").size()).as(admin.toString()).isEqualTo(1);
        assertThat(admin.path("devices").get(0).path("kind").asText()).as(admin.toString()).isEqualToIgnoringCase("agent");
    }

    // ---- 2. the tunnel, confirmed with the security key in the browser -----------------------------------

    @Test
    @Order(2)
    void upWaitsForTheBrowserAndTheSecurityKeyThereAdmitsTheDevice() throws Exception {
        assertThat(laptop).as("enrolled in the first test").isNotNull();
        assertThat(lab.gatewayPeers()).as("before MFA the device is no peer of the gateway").doesNotContain(deviceKey);
        withEvidence(() -> {
            running = RunningAgent.start(laptop, "--json", "up", LOCATION, "--method", "webauthn");
            browserUrl = running.awaitStderr(BROWSER_URL, LINK_PRINTED).group(1);
            assertThat(browserUrl).startsWith(deployment.origin + "/mfa/");
            assertThat(running.isAlive()).as("the agent waits for the browser").isTrue();
            assertThat(lab.gatewayPeers()).as("nothing is admitted before the browser step").doesNotContain(deviceKey);

            browser.open(browserUrl);
            String summary = browser.awaitText("#mfa-summary", LOCATION);
            assertThat(summary).as("the page names user, device and location").contains(USER, DEVICE, LOCATION);
            assertThat(browser.visible("#mfa-confirm").isDisplayed()).isTrue();
            browser.screenshot("mfa-summary");
            browser.click("#mfa-confirm");
            browser.awaitText("#mfa-done", "your device is connecting");
            browser.screenshot("mfa-done");

            AgentProcess.Result up = running.awaitExit(ADMITTED);
            assertThat(up.exitCode()).as(up.output() + lab.logTails()).isZero();
            JsonNode result = EnrollmentDeployment.JSON.readTree(up.stdout());
            assertThat(result.path("location").asText()).isEqualTo(LOCATION);
            assertThat(result.path("session").path("method").asText()).isEqualToIgnoringCase("webauthn");
            assertThat(result.path("session").path("presharedKey").isNull()).as("no key in the result: " + up.stdout()).isTrue();
            upOutput = up.output();
        });

        assertThat(lab.gatewayPeers()).as("after the browser step the gateway has the device as a peer").contains(deviceKey);
        String presharedKey = presharedKeyOnGateway();
        assertThat(presharedKey).as("the device's peer has the session's preshared key").isNotEqualTo("(none)");
        assertThat(Base64.getDecoder().decode(presharedKey)).hasSize(32);
        assertThat(upOutput).as("the agent never prints the session's key").doesNotContain(presharedKey);
        lab.awaitReachable(laptop, Duration.ofSeconds(15));
        assertThat(lab.httpGet(laptop)).as("TCP (HTTP) through the tunnel to the service behind the gateway").isTrue();

        JsonNode session = onlyLiveSession();
        assertThat(session.path("method").asText()).isEqualToIgnoringCase("webauthn");
        assertThat(session.path("device").asText()).isEqualTo(DEVICE);
        sessionId = session.path("id").asText();
        assertThat(auditActions()).contains("tunnel.mfa.started", "tunnel.mfa.succeeded", "tunnel.session.admitted");
    }

    // ---- 3. the spent link --------------------------------------------------------------------------------

    @Test
    @Order(3)
    void theUsedLinkShowsOnlyTheNeutralMessageAndStartsNoSecondSession() throws Exception {
        assertThat(browserUrl).as("a link from the second test").isNotNull();
        withEvidence(() -> {
            browser.open(browserUrl);
            String message = browser.awaitText("#mfa-error", "not valid any more");
            browser.screenshot("used-link-refused");
            assertThat(message.strip()).isEqualTo(LINK_ENDED);
            assertThat(displayed("mfa-confirm")).as("no button to confirm with").isFalse();
            assertThat(displayed("mfa-done")).isFalse();
            assertThat(displayed("mfa-summary")).as("the page names nobody for a spent link").isFalse();
        });
        assertThat(onlyLiveSession().path("id").asText()).as("still the one session, not a second").isEqualTo(sessionId);
        assertThat(lab.gatewayPeers()).contains(deviceKey);
    }

    // ---- 4. a browser step that never happens -------------------------------------------------------------

    @Test
    @Order(4)
    void anUpWhoseBrowserStepIsNeverDoneLeavesNoPeerOnTheGateway() throws Exception {
        assertThat(laptop).as("enrolled in the first test").isNotNull();
        AgentProcess.Result down = lab.agent(laptop, "", "down", LOCATION);
        assertThat(down.exitCode()).as(down.output()).isZero();
        EnrollmentDeployment.await("the ended session's peer gone from the gateway", Duration.ofSeconds(15),
                () -> !lab.gatewayPeers().contains(deviceKey));
        assertThat(liveSessions()).as("no live session after down").isEmpty();

        if (running != null) {
            running.close(); // the second test's agent, should it still be waiting after a failure there
        }
        running = RunningAgent.start(laptop, "--json", "up", LOCATION, "--method", "webauthn");
        String unconfirmed = running.awaitStderr(BROWSER_URL, LINK_PRINTED).group(1);
        assertThat(unconfirmed).as("a new attempt has a new link").isNotEqualTo(browserUrl);
        // Watched, not slept through: for the whole window the agent keeps waiting and the gateway stays without the peer.
        long until = System.nanoTime() + UNCONFIRMED_WATCH.toNanos();
        while (System.nanoTime() < until) {
            assertThat(running.isAlive()).as("the agent waits for the browser: " + running.output()).isTrue();
            assertThat(lab.gatewayPeers()).as("no peer without the browser step").doesNotContain(deviceKey);
            Thread.sleep(250);
        }
        AgentProcess.Result stopped = running.stop();
        assertThat(stopped.exitCode()).as("stopped while waiting: " + stopped.output()).isNotZero();
        assertThat(stopped.stdout()).as("no session was reported").isBlank();

        assertThat(lab.gatewayPeers()).as("the unconfirmed attempt admitted nothing").doesNotContain(deviceKey);
        assertThat(liveSessions()).as("core holds no session for the unconfirmed attempt").isEmpty();
        assertThat(auditActions().stream().filter("tunnel.session.admitted"::equals).count())
                .as("only the confirmed attempt was ever admitted").isEqualTo(1);
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    @FunctionalInterface
    private interface Step {
        void run() throws Exception;
    }

    /** Runs browser steps; a failure keeps a screenshot and carries the page's console and the logs. */
    private void withEvidence(Step step) throws Exception {
        try {
            step.run();
        } catch (AssertionError | RuntimeException e) {
            try {
                browser.screenshot("failure");
            } catch (RuntimeException | java.io.IOException screenshot) {
                e.addSuppressed(screenshot);
            }
            throw new AssertionError(e.getMessage() + "\n--- agent:\n" + (running == null ? "-" : running.output())
                    + "\n--- browser console:\n" + browser.console() + "\n--- logs:\n" + lab.logTails(), e);
        }
    }

    private static void cleanUp(List<Throwable> failures, Step step) {
        try {
            step.run();
        } catch (Exception | AssertionError e) {
            failures.add(e);
        }
    }

    private boolean displayed(String id) {
        List<WebElement> found = browser.driver().findElements(By.id(id));
        return !found.isEmpty() && found.get(0).isDisplayed();
    }

    /** The preshared key the gateway holds for the device's peer ({@code (none)} when it has none). */
    private String presharedKeyOnGateway() {
        for (String line : lab.net.exec(lab.gw, "wg", "show", lab.gatewayInterface, "preshared-keys").split("\n")) {
            String[] fields = line.strip().split("\\s+");
            if (fields.length == 2 && fields[0].equals(deviceKey)) {
                return fields[1];
            }
        }
        throw new AssertionError("no peer " + deviceKey + " on the gateway");
    }

    /** The live sessions of the user at this class's location, from the admin API. */
    private List<JsonNode> liveSessions() throws Exception {
        AdminHttp.Reply sessions = deployment.adminHttp().get("/api/v1/sessions?user=" + USER);
        assertThat(sessions.status()).as(String.valueOf(sessions.body())).isEqualTo(200);
        JsonNode list = sessions.body().has("sessions") ? sessions.body().get("sessions") : sessions.body();
        List<JsonNode> here = new ArrayList<>();
        for (JsonNode session : list) {
            if (LOCATION.equals(session.path("location").asText())) {
                here.add(session);
            }
        }
        return here;
    }

    private JsonNode onlyLiveSession() throws Exception {
        List<JsonNode> sessions = liveSessions();
        assertThat(sessions).as("live sessions of " + USER + " at " + LOCATION).hasSize(1);
        return sessions.get(0);
    }

    /** The actions of the audit records that name this user (or its device, {@code erin-laptop}). */
    private List<String> auditActions() throws Exception {
        Pattern user = Pattern.compile("\\b" + USER + "\\b");
        List<String> actions = new ArrayList<>();
        for (JsonNode record : deployment.auditRecords()) {
            if (user.matcher(record.toString()).find()) {
                actions.add(record.path("action").asText());
            }
        }
        return actions;
    }

    private static String randomWord() {
        byte[] bytes = new byte[9];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes).replace('-', 'x').replace('_', 'y');
    }
}
