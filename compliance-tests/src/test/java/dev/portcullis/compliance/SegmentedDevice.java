package dev.portcullis.compliance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcullis.compliance.evidence.TunnelTarget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The one enrolled device of a {@link SegmentedDeployment}: its user, enrolled through an invite
 * link from the internet; its agent running in the device zone; {@code oathtool} as the user's
 * authenticator app. What the tunnel checks drive.
 */
final class SegmentedDevice implements TunnelTarget {

    static final Duration AGENT_TIMEOUT = Duration.ofSeconds(90);
    /** The session lifetime of a location made without {@code --session-lifetime} (core's default). */
    static final String DEFAULT_LIFETIME = "8h";

    private final SegmentedDeployment deployment;
    private final String user;
    private final Path state;
    private final String deviceKey;
    private final Oathtool.Codes codes;
    private final String totpSecret;
    private int thieves;

    private SegmentedDevice(SegmentedDeployment deployment, String user, Path state, String totpSecret) throws Exception {
        this.deployment = deployment;
        this.user = user;
        this.state = state;
        this.totpSecret = totpSecret;
        this.codes = new Oathtool.Codes(totpSecret, Oathtool.step()); // enrollment confirmed a code of this step (or the one before)
        JsonNode enrollment = EnrollmentDeployment.JSON.readTree(Files.readString(state.resolve("enrollment.json")));
        this.deviceKey = enrollment.path("wireguardPublicKey").asText(null);
        assertThat(deviceKey).as("the device's WireGuard public key in enrollment.json").isNotNull();
    }

    /** Adds the user, invites them and enrolls a laptop with {@code portcullis-agent enroll LINK}. */
    static SegmentedDevice enroll(SegmentedDeployment deployment, String user, String email) throws Exception {
        deployment.addUser(user, email, user);
        EnrollmentDeployment.Invite invite = deployment.invite(user);
        Path state = deployment.work.resolve("agent-" + user);
        AgentProcess.Result enrolled = AgentProcess.enroll(state, invite.link(), "correct horse battery staple 7",
                user + "-laptop");
        assertThat(enrolled.exitCode()).as(enrolled.output() + deployment.logTails()).isZero();
        assertThat(enrolled.totpSecret()).as("the TOTP secret the agent showed").isNotNull();
        return new SegmentedDevice(deployment, user, state, enrolled.totpSecret());
    }

    @FunctionalInterface
    private interface Call<T> {
        T call() throws Exception;
    }

    /**
     * The fixture fails with {@link AssertionError}, as tests do; a check catches exceptions only (an
     * error is no control's verdict), so a fixture failure reaches the check as an exception.
     */
    private static <T> T guarded(String what, Call<T> call) throws Exception {
        try {
            return call.call();
        } catch (AssertionError e) {
            throw new IllegalStateException(what + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String location() {
        return SegmentedDeployment.LOCATION;
    }

    @Override
    public String user() {
        return user;
    }

    @Override
    public String deviceKey() {
        return deviceKey;
    }

    @Override
    public AgentRun up(String code) throws Exception {
        return guarded("portcullis-agent up", () -> agent(code + "\n", "up", location(), "--code", "-"));
    }

    @Override
    public AgentRun down() throws Exception {
        return guarded("portcullis-agent down", () -> agent("", "down", location()));
    }

    private AgentRun agent(String input, String... arguments) throws Exception {
        List<String> line = new ArrayList<>(List.of("--json"));
        line.addAll(List.of(arguments));
        AgentProcess.Result result = AgentProcess.runIn(deployment.device.name(), state, input, AGENT_TIMEOUT,
                line.toArray(String[]::new));
        List<String> shown = new ArrayList<>(List.of("ip", "netns", "exec", deployment.device.name(), "portcullis-agent"));
        shown.addAll(line);
        return new AgentRun(shown, result.exitCode(), result.stdout(), result.stderr());
    }

    @Override
    public String freshCode() throws Exception {
        return codes.next();
    }

    @Override
    public String wrongCode() throws Exception {
        return String.format("%06d", (Integer.parseInt(Oathtool.totp(totpSecret)) + 500_000) % 1_000_000);
    }

    @Override
    public List<String> gatewayPeers() throws Exception {
        return guarded("the gateway's peers", () -> deployment.gatewayPeers());
    }

    @Override
    public boolean reachesServiceBehindGateway(Duration wait) {
        return deployment.net.tryExec(deployment.device, "ping", "-c", "1", "-W", Long.toString(Math.max(1, wait.toSeconds())),
                deployment.serviceAddress).exitCode() == 0;
    }

    @Override
    public long handshakeWithTheDeviceKeyAlone() throws Exception {
        return guarded("the thief's WireGuard", () -> {
            String name = deployment.net.interfaceName("x" + (++thieves));
            Path key = Files.createTempFile(deployment.work, "stolen", ".key");
            try {
                Files.writeString(key, Files.readString(state.resolve("wireguard.key")).strip() + "\n");
                String gatewayKey = deployment.net.exec(deployment.dmz, "wg", "show", deployment.gatewayInterface, "public-key").strip();
                deployment.net.exec(deployment.device, "wireguard-go", name);
                deployment.net.exec(deployment.device, "wg", "set", name, "private-key", key.toString(), "peer", gatewayKey,
                        "endpoint", deployment.dmzPublicAddress + ":" + SegmentedDeployment.WIREGUARD_PORT,
                        "allowed-ips", deployment.pool + "," + deployment.serviceAddress + "/32", "persistent-keepalive", "1");
                deployment.net.exec(deployment.device, "ip", "address", "add", deployment.options.poolPrefix() + ".200/32", "dev", name);
                deployment.net.exec(deployment.device, "ip", "link", "set", name, "up");
                deployment.net.tryExec(deployment.device, "ip", "route", "replace", deployment.serviceAddress + "/32", "dev", name);
                // Bounded: three pings of one second each; WireGuard retries its handshake meanwhile.
                for (int i = 0; i < 3; i++) {
                    reachesServiceBehindGateway(Duration.ofSeconds(1));
                }
                String[] fields = deployment.net.exec(deployment.device, "wg", "show", name, "latest-handshakes").strip().split("\\s+");
                return fields.length == 2 ? Long.parseLong(fields[1]) : 0;
            } finally {
                Files.deleteIfExists(key);
                deployment.net.tryExec(deployment.device, "ip", "link", "delete", name);
            }
        });
    }

    @Override
    public List<String> auditActionsAboutUser() throws Exception {
        return guarded("the audit records", () -> {
            List<String> actions = new ArrayList<>();
            for (JsonNode record : deployment.auditRecords()) {
                if (record.toString().contains(user)) {
                    actions.add(record.path("action").asText());
                }
            }
            return actions;
        });
    }

    @Override
    public Instant liveSessionNotAfter() throws Exception {
        return guarded("the live session", () -> {
            AdminHttp.Reply sessions = deployment.adminHttp().get("/api/v1/sessions?user=" + user);
            assertThat(sessions.status()).as(String.valueOf(sessions.body())).isEqualTo(200);
            JsonNode list = sessions.body().has("sessions") ? sessions.body().get("sessions") : sessions.body();
            for (JsonNode session : list) {
                if (location().equals(session.path("location").asText())) {
                    return Instant.parse(session.path("notAfter").asText());
                }
            }
            throw new AssertionError("no live session of " + user + " at " + location() + ": " + sessions.body());
        });
    }

    @Override
    public void setSessionLifetime(String lifetime) throws Exception {
        guarded("location set --session-lifetime", () -> {
            deployment.adminOk("location", "set", location(), "--session-lifetime", lifetime);
            return null;
        });
    }

    @Override
    public void unlockUser() throws Exception {
        guarded("user unlock", () -> {
            deployment.adminOk("user", "unlock", user);
            return null;
        });
    }

    @Override
    public void stopCore() throws Exception {
        guarded("stopping core", () -> {
            deployment.stopCore();
            return null;
        });
    }

    @Override
    public void startCore() throws Exception {
        guarded("starting core", () -> {
            deployment.resumeCore();
            return null;
        });
    }
}
