package dev.portcullis.compliance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A deployment for the enrollment tests, brought up exactly as a user does it: {@code ./quickstart}
 * (core with embedded PostgreSQL, edge-proxy edge-1, gateway gateway-1, all adopted) on free ports
 * with its state under the test's directory, then the admin CLI ({@code bin/portcullis-admin}) for
 * everything an administrator does.
 *
 * <p>The edge-proxy's public origin is set to {@code https://localhost:<port>}: WebAuthn needs a
 * host name (an IP address is never a relying party ID; see {@link BrowserFixtureTest}).
 */
final class EnrollmentDeployment implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    /** API.md: the one body every invalid, unknown, used, expired, superseded or revoked invite gets. */
    static final String INVALID_INVITE_BODY =
            "{\"error\":\"This link is not valid any more. Ask your administrator for a new invite.\"}";
    static final String INVALID_INVITE_MESSAGE = "This link is not valid any more. Ask your administrator for a new invite.";
    /** An invite link as API.md defines it; the token and the pin are 32 bytes, base64url without padding. */
    static final Pattern INVITE_LINK = Pattern.compile(
            "https://[^\\s/]+/enroll/([A-Za-z0-9_-]{43})#ca=([A-Za-z0-9_-]{43})");
    static final String ENROLL_COOKIE = "__Host-portcullis-enroll";

    final Quickstart quickstart;
    final Path work;
    final String origin;
    private AdminHttp adminHttp;

    /** One invite as the admin CLI printed it. */
    record Invite(String link, String token, String pin, String output) {
        String path() {
            return "/enroll/" + token;
        }
    }

    private EnrollmentDeployment(Path work) {
        this.work = work;
        this.quickstart = new Quickstart(work.resolve("state"));
        this.origin = "https://localhost:" + quickstart.edgePublicPort;
    }

    /** Runs {@code ./quickstart up} and points the edge-proxy's public origin at localhost. */
    static EnrollmentDeployment start(String name) throws Exception {
        Path work = Path.of(System.getProperty("portcullis.test.output", "target/deployments"))
                .resolve(name + "-" + System.currentTimeMillis()).toAbsolutePath();
        Files.createDirectories(work);
        EnrollmentDeployment deployment = new EnrollmentDeployment(work);
        try {
            long started = System.nanoTime();
            Quickstart.Result up = deployment.quickstart.run("up");
            System.out.printf("./quickstart up (%s) took %.1f s%n", name, (System.nanoTime() - started) / 1e9);
            assertThat(up.exitCode()).as("./quickstart up:\n" + up.output()).isZero();
            deployment.admin("component", "set", "edge-1", "--public-origin", deployment.origin);
            return deployment;
        } catch (Throwable e) {
            deployment.close();
            throw e;
        }
    }

    /** Core's admin API over HTTP (for what a script would do in bulk). */
    AdminHttp adminHttp() throws IOException {
        if (adminHttp == null) {
            adminHttp = new AdminHttp(quickstart.adminPort, Files.readString(coreHome().resolve("admin-token")).strip());
        }
        return adminHttp;
    }

    Path coreHome() {
        return quickstart.state.resolve("core");
    }

    Path edgeState() {
        return quickstart.state.resolve("edge-1");
    }

    Path logs() {
        return quickstart.state.resolve("logs");
    }

    /** {@code bin/portcullis-admin ARGS}; fails the test on a non-zero exit. */
    String admin(String... arguments) throws Exception {
        Quickstart.Result result = quickstart.admin(arguments);
        assertThat(result.exitCode()).as("portcullis-admin " + String.join(" ", arguments) + ":\n" + result.output())
                .isZero();
        return result.output();
    }

    /** {@code bin/portcullis-admin --json ARGS}, parsed. */
    JsonNode adminJson(String... arguments) throws Exception {
        List<String> line = new ArrayList<>(List.of("--json"));
        line.addAll(List.of(arguments));
        String output = admin(line.toArray(String[]::new));
        int start = firstJsonCharacter(output);
        assertThat(start).as("JSON in: " + output).isNotNegative();
        return JSON.readTree(output.substring(start));
    }

    private static int firstJsonCharacter(String output) {
        int brace = output.indexOf('{');
        int bracket = output.indexOf('[');
        if (brace < 0) {
            return bracket;
        }
        return bracket < 0 ? brace : Math.min(brace, bracket);
    }

    // ---- what an administrator does (the admin CLI of API.md's issue) ---------------------------------

    void addLocation(String name, String pool, String... extraOptions) throws Exception {
        List<String> line = new ArrayList<>(List.of("location", "add", name, "--pool", pool));
        line.addAll(List.of(extraOptions));
        admin(line.toArray(String[]::new));
    }

    void addUser(String name, String email, String displayName, String... extraOptions) throws Exception {
        List<String> line = new ArrayList<>(List.of("user", "add", name, "--email", email, "--display-name", displayName));
        line.addAll(List.of(extraOptions));
        admin(line.toArray(String[]::new));
    }

    /** {@code user invite NAME}: the link is printed once; this returns it with its token and pin. */
    Invite invite(String user, String... extraOptions) throws Exception {
        List<String> line = new ArrayList<>(List.of("user", "invite", user));
        line.addAll(List.of(extraOptions));
        String output = admin(line.toArray(String[]::new));
        Matcher link = INVITE_LINK.matcher(output);
        assertThat(link.find()).as("an invite link in: " + output).isTrue();
        assertThat(link.group()).as("the link is on the proxy's public origin").startsWith(origin + "/enroll/");
        return new Invite(link.group(), link.group(1), link.group(2), output);
    }

    // ---- the same through the admin API (for bulk setup: no JVM start per call) -------------------------

    void addGroupViaApi(String name) throws Exception {
        AdminHttp.Reply created = adminHttp().post("/api/v1/groups", Map.of("name", name));
        assertThat(created.status()).as("group " + name + ": " + created.body()).isEqualTo(201);
    }

    /** A location reachable by the members of these groups only (every user when none is given). */
    void addLocationViaApi(String name, String pool, String... groups) throws Exception {
        AdminHttp.Reply created = adminHttp().post("/api/v1/locations",
                Map.of("name", name, "addressPool", pool, "groups", List.of(groups)));
        assertThat(created.status()).as("location " + name + ": " + created.body()).isEqualTo(201);
    }

    void addUserViaApi(String name, String email, String displayName, String... groups) throws Exception {
        AdminHttp.Reply created = adminHttp().post("/api/v1/users",
                Map.of("name", name, "email", email, "displayName", displayName, "groups", List.of(groups)));
        assertThat(created.status()).as("user " + name + ": " + created.body()).isEqualTo(201);
    }

    /** {@code POST /api/v1/users/NAME/invites}: the only answer that ever contains the link. */
    Invite inviteViaApi(String user) throws Exception {
        AdminHttp.Reply issued = adminHttp().post("/api/v1/users/" + user + "/invites", Map.of());
        assertThat(issued.status()).as("invite for " + user + ": " + issued.body()).isEqualTo(201);
        String link = issued.body().path("link").asText();
        Matcher m = INVITE_LINK.matcher(link);
        assertThat(m.matches()).as("an invite link: " + link).isTrue();
        return new Invite(link, m.group(1), m.group(2), issued.body().toString());
    }

    /** The user as the admin CLI shows it ({@code --json user show NAME}: the user, factors and devices). */
    JsonNode user(String name) throws Exception {
        return adminJson("user", "show", name);
    }

    /** The user's state (INVITED, ACTIVE, DISABLED) from {@code user show}. */
    String userState(String name) throws Exception {
        return user(name).path("user").path("state").asText();
    }

    /**
     * Moves every unredeemed invite of a user past its expiry in core's own database, as if its
     * lifetime had passed. Core's shortest invite lifetime is an hour ({@code Invites.MIN_LIFETIME})
     * and core has no clock to advance from outside, so this is how a test of real processes gets
     * an expired invite: the row stays exactly as core wrote it except for its two timestamps, and
     * the expiry decision is core's own when the link is redeemed.
     */
    void expireInvitesOf(String user) throws Exception {
        Path pgdata = coreHome().resolve("pgdata");
        int port = Integer.parseInt(Files.readAllLines(pgdata.resolve("postmaster.pid")).get(3).strip());
        String password = Files.readString(coreHome().resolve("db-password"), StandardCharsets.US_ASCII).strip();
        try (java.sql.Connection db = java.sql.DriverManager.getConnection(
                "jdbc:postgresql://localhost:" + port + "/portcullis", "postgres", password);
             java.sql.PreparedStatement expire = db.prepareStatement(
                     "UPDATE invites SET created_at = now() - interval '2 days', expires_at = now() - interval '1 second' "
                             + "WHERE redeemed_at IS NULL AND user_id = (SELECT id FROM users WHERE name = ?)")) {
            expire.setString(1, user);
            assertThat(expire.executeUpdate()).as("unredeemed invites of " + user).isEqualTo(1);
        }
    }

    // ---- the public side -------------------------------------------------------------------------------

    /** The certificate chain the edge-proxy's public listener presents now. */
    List<X509Certificate> proxyChain() throws IOException {
        return EdgeClient.presentedChain(quickstart.edgePublicPort);
    }

    /** The {@code #ca=} pin of the proxy's current chain (its topmost certificate). */
    String proxyPin() throws IOException {
        List<X509Certificate> chain = proxyChain();
        return EdgeClient.pinOf(chain.get(chain.size() - 1));
    }

    /** A client for the proxy's public side, trusting only its current certificate, from a loopback source address. */
    EdgeClient edge(String sourceAddress) throws IOException {
        return new EdgeClient(quickstart.edgePublicPort, proxyPin(), sourceAddress);
    }

    /** Stops edge-1 (SIGTERM) and starts it again through {@code ./quickstart up}, which waits until it is connected. */
    void restartEdgeProxy() throws Exception {
        long pid = quickstart.pid("edge-1");
        ProcessHandle edge = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("edge-1 (pid " + pid + ") is not running"));
        edge.destroy();
        edge.onExit().get(30, TimeUnit.SECONDS);
        Quickstart.Result up = quickstart.run("up");
        assertThat(up.exitCode()).as("./quickstart up after stopping edge-1:\n" + up.output()).isZero();
        assertThat(quickstart.pid("edge-1")).as("a new edge-1 process").isNotEqualTo(pid);
    }

    /** Stops core (SIGTERM) and waits until it is gone; edge-1 and the gateways keep running without it. */
    void stopCore() throws Exception {
        long pid = quickstart.pid("core");
        ProcessHandle core = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("core (pid " + pid + ") is not running"));
        core.destroy();
        core.onExit().get(60, TimeUnit.SECONDS);
    }

    /** {@code ./quickstart up} again after a process was stopped: it starts what is not running and waits until all are connected. */
    void resumeAfterStop() throws Exception {
        Quickstart.Result up = quickstart.run("up");
        assertThat(up.exitCode()).as("./quickstart up after a stop:\n" + up.output()).isZero();
    }

    /** Every record of the audit log, through the admin API (JSON lines, page by page). */
    List<JsonNode> auditRecords() throws Exception {
        return adminHttp().auditRecords();
    }

    // ---- evidence that secrets stay where they belong ---------------------------------------------------

    /**
     * For each named needle, the files under the roots whose bytes contain it (needles found
     * nowhere are left out). Each file is read once; bytes are compared exactly (ISO-8859-1 maps
     * every byte to one char), so binary files such as PostgreSQL's data pages are searched too.
     */
    static Map<String, List<String>> filesContaining(List<Path> roots, Map<String, byte[]> needles) throws IOException {
        Map<String, String> texts = new java.util.LinkedHashMap<>();
        needles.forEach((name, bytes) -> texts.put(name, new String(bytes, StandardCharsets.ISO_8859_1)));
        Map<String, List<String>> found = new java.util.LinkedHashMap<>();
        for (Path root : roots) {
            if (!Files.exists(root)) {
                continue;
            }
            try (Stream<Path> walk = Files.walk(root)) {
                for (Path file : walk.filter(Files::isRegularFile).toList()) {
                    String content;
                    try {
                        content = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
                    } catch (IOException e) {
                        continue; // a file that vanished while we looked (PostgreSQL's temporary files)
                    }
                    for (Map.Entry<String, String> needle : texts.entrySet()) {
                        if (content.contains(needle.getValue())) {
                            found.computeIfAbsent(needle.getKey(), k -> new ArrayList<>()).add(file.toString());
                        }
                    }
                }
            }
        }
        return found;
    }

    /** The files under the roots that contain this text (UTF-8). */
    static List<String> filesContaining(List<Path> roots, String needle) throws IOException {
        return filesContaining(roots, Map.of("needle", needle.getBytes(StandardCharsets.UTF_8))).getOrDefault("needle", List.of());
    }

    /** The last part of every log of the deployment, for failure messages. */
    String logTails() {
        StringBuilder out = new StringBuilder();
        try (Stream<Path> files = Files.list(logs())) {
            for (Path log : files.sorted().toList()) {
                String text = Files.readString(log, StandardCharsets.UTF_8);
                out.append("--- ").append(log.getFileName()).append(" (tail)\n")
                        .append(text.length() > 3000 ? text.substring(text.length() - 3000) : text).append('\n');
            }
        } catch (IOException e) {
            out.append("(logs not readable: ").append(e.getMessage()).append(")\n");
        }
        return out.toString();
    }

    /** Polls until the check holds or the time is up. */
    static void await(String what, Duration timeout, Check check) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (check.holds()) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("timed out after " + timeout.toSeconds() + " s: " + what);
    }

    @FunctionalInterface
    interface Check {
        boolean holds() throws Exception;
    }

    /** Map helper for JSON bodies. */
    static Map<String, Object> body(Object... keyValues) {
        Map<String, Object> map = new java.util.LinkedHashMap<>();
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            map.put((String) keyValues[i], keyValues[i + 1]);
        }
        return map;
    }

    /** {@code ./quickstart reset}: stops every process and deletes the state (and gateway-1's interface); keeps the logs. */
    @Override
    public void close() throws IOException {
        // Keep the logs beside the test's other output: reset deletes the state directory.
        if (Files.isDirectory(logs())) {
            Path kept = work.resolve("logs");
            Files.createDirectories(kept);
            try (Stream<Path> files = Files.list(logs())) {
                for (Path log : files.toList()) {
                    Files.copy(log, kept.resolve(log.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        Quickstart.Result reset;
        try {
            reset = quickstart.run("reset");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while resetting the deployment in " + quickstart.state, e);
        }
        if (reset.exitCode() != 0) {
            throw new AssertionError("./quickstart reset failed:\n" + reset.output());
        }
    }
}
