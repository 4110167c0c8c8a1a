package dev.portcullis.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.agent.state.StateDirectory;
import dev.portcullis.gateway.testnet.TestNetwork;
import dev.portcullis.gateway.testnet.TestNetwork.Namespace;
import dev.portcullis.pki.wireguard.PresharedKey;
import dev.portcullis.pki.wireguard.WireGuardPrivateKey;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import dev.portcullis.protocol.wireguard.PeerChanges;
import dev.portcullis.protocol.wireguard.PeerConfig;
import dev.portcullis.protocol.wireguard.WireGuardDevice;
import dev.portcullis.protocol.wireguard.WireGuardInterfaces;
import dev.portcullis.protocol.wireguard.WireGuardInterfaces.Implementation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code up}, re-authentication, {@code export}, {@code status}, {@code down} and the keeper
 * against a real wireguard-go in network namespaces this test creates: a "device" namespace where
 * the agent builds its interface, and a "gateway" namespace with a wireguard-go that the fake core
 * admits the device on (with the session's PSK), so a ping through the tunnel proves key, peer,
 * PSK, endpoint, address and route together. Needs root; never skipped.
 */
@Timeout(120)
class TunnelNamespaceTest {

    @TempDir
    Path home;

    private TestNetwork network;
    private Namespace deviceNs;
    private Namespace gatewayNs;
    private String deviceIface;
    private String gatewayIface;
    private WireGuardDevice gateway;
    private WireGuardPrivateKey gatewayKey;
    private FakeCore core;
    private StateDirectory state;

    @BeforeEach
    void setUp() throws Exception {
        network = new TestNetwork();
        deviceNs = network.namespace("dev");
        gatewayNs = network.namespace("gw");
        network.link(gatewayNs, "192.168.77.1/24", deviceNs, "192.168.77.2/24");
        deviceIface = network.interfaceName("d");
        gatewayIface = network.interfaceName("g");
        gatewayKey = WireGuardPrivateKey.generate();
        gateway = WireGuardInterfaces.open(gatewayIface, Implementation.USERSPACE, gatewayNs.name());
        gateway.configure(gatewayKey, 51820);
        WireGuardInterfaces.configureLink(gatewayIface, List.of("10.80.0.1/24"), 1420, gatewayNs.name());
        core = new FakeCore();
        state = core.enroll(home);
        core.gateways(List.of(new FakeCore.Gateway("gw-1", "192.168.77.1:51820", gatewayKey.publicKey().base64())));
        WireGuardPublicKey device = WireGuardPublicKey.fromBase64(
                Files.readString(home.resolve("enrollment.json")).replaceAll("(?s).*\"wireguardPublicKey\"\\s*:\\s*\"([^\"]+)\".*", "$1"));
        // The gateways' part of admission: the device becomes a peer with the session's PSK (in place on re-auth).
        core.onAdmit(live -> {
            try {
                gateway.apply(PeerChanges.upsert(new PeerConfig(device, PresharedKey.fromBytes(Base64.getDecoder().decode(live.psk())),
                        List.of("10.80.0.2/32"))));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @AfterEach
    void tearDown() {
        try {
            OptionalLong pid = state == null ? OptionalLong.empty() : state.keeperPid("office");
            pid.ifPresent(p -> ProcessHandle.of(p).ifPresent(ProcessHandle::destroyForcibly));
            if (core != null) {
                core.close();
            }
            if (gateway != null) {
                gateway.close();
            }
        } finally {
            network.close();
        }
    }

    private AgentRun agent(String stdin, String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "--state-dir";
        all[1] = home.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        return AgentRun.run(home, stdin, all);
    }

    private AgentRun up(String stdin, String... extra) {
        String[] args = new String[] {"up", "office", "--wireguard", "userspace", "--netns", deviceNs.name(), "--interface", deviceIface};
        String[] all = new String[args.length + extra.length];
        System.arraycopy(args, 0, all, 0, args.length);
        System.arraycopy(extra, 0, all, args.length, extra.length);
        return agent(stdin, all);
    }

    private String wg(String... what) {
        String[] command = new String[what.length + 3];
        command[0] = "wg";
        command[1] = "show";
        command[2] = deviceIface;
        System.arraycopy(what, 0, command, 3, what.length);
        return network.exec(deviceNs, command).strip();
    }

    private boolean interfaceExists() {
        return network.tryExec(deviceNs, "ip", "link", "show", "dev", deviceIface).exitCode() == 0;
    }

    private String ifindex() {
        return network.exec(deviceNs, "ip", "-o", "link", "show", "dev", deviceIface).split(":")[0];
    }

    /** Pings through the tunnel until it answers (the first packet triggers the handshake) or the deadline passes. */
    private boolean pingsThroughTheTunnel() {
        return within(Duration.ofSeconds(15), () -> network.tryExec(deviceNs, "ping", "-c", "1", "-W", "1", "10.80.0.1").exitCode() == 0);
    }

    private static boolean within(Duration limit, BooleanSupplier condition) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.onSpinWait();
            try {
                Thread.sleep(100); // poll interval of a deadline loop, not a synchronisation
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return condition.getAsBoolean();
    }

    @Test
    void upConfiguresTheInterfaceReauthReplacesTheKeyInPlaceAndDownRemovesEverything() throws Exception {
        AgentRun up = up(FakeCore.GOOD_CODE + "\n", "--no-keeper");

        assertThat(up.exitCode()).as(up.all()).isZero();
        assertThat(up.stdout()).containsPattern("Tunnel to office is up until ([0-9]{4}-[0-9]{2}-[0-9]{2} )?[0-9]{2}:[0-9]{2} \\(7h 59m left\\)\\.")
                .contains("DNS for this location: 10.80.0.1");
        String firstPsk = core.live().psk();
        String devicePrivate = Files.readString(home.resolve("wireguard.key")).strip();
        assertThat(up.all()).doesNotContain(firstPsk).doesNotContain(devicePrivate);
        assertThat(core.rejected()).isEmpty();

        assertThat(wg("public-key")).isEqualTo(WireGuardPrivateKey.fromBytes(Base64.getDecoder().decode(devicePrivate)).publicKey().base64());
        assertThat(wg("preshared-keys")).isEqualTo(gatewayKey.publicKey().base64() + "\t" + firstPsk);
        assertThat(wg("endpoints")).isEqualTo(gatewayKey.publicKey().base64() + "\t192.168.77.1:51820");
        assertThat(wg("persistent-keepalive")).isEqualTo(gatewayKey.publicKey().base64() + "\t25");
        assertThat(wg("allowed-ips")).contains("10.80.0.0/24").contains("192.168.50.0/24");
        assertThat(network.exec(deviceNs, "ip", "-o", "address", "show", "dev", deviceIface)).contains("10.80.0.2/32");
        String routes = network.exec(deviceNs, "ip", "route", "show", "dev", deviceIface);
        assertThat(routes).contains("10.80.0.0/24").contains("192.168.50.0/24");
        assertThat(pingsThroughTheTunnel()).as("ping through the tunnel").isTrue();
        Path saved = home.resolve("sessions").resolve("office.json");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(saved))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(saved.getParent()))).isEqualTo("rwx------");
        String index = ifindex();

        AgentRun again = up(FakeCore.GOOD_CODE + "\n", "--no-keeper");

        assertThat(again.exitCode()).as(again.all()).isZero();
        assertThat(again.stdout()).contains("Re-authenticated: interface " + deviceIface + " has the new session key");
        String secondPsk = core.live().psk();
        assertThat(secondPsk).isNotEqualTo(firstPsk);
        assertThat(ifindex()).as("the interface was not recreated").isEqualTo(index);
        assertThat(wg("preshared-keys")).isEqualTo(gatewayKey.publicKey().base64() + "\t" + secondPsk);
        assertThat(pingsThroughTheTunnel()).as("ping after re-auth").isTrue();

        AgentRun export = agent("", "export", "office");
        assertThat(export.exitCode()).isZero();
        assertThat(export.stdout()).contains("[Interface]\nPrivateKey = " + devicePrivate + "\nAddress = 10.80.0.2/32\nDNS = 10.80.0.1\nMTU = 1420\n")
                .contains("[Peer]\nPublicKey = " + gatewayKey.publicKey().base64() + "\nPresharedKey = " + secondPsk
                        + "\nEndpoint = 192.168.77.1:51820\nAllowedIPs = 10.80.0.0/24, 192.168.50.0/24\nPersistentKeepalive = 25\n");

        AgentRun status = agent("", "status");
        assertThat(status.stdout()).contains("Tunnel to office: interface " + deviceIface).contains(" up, 7h 59m left")
                .containsPattern("last handshake [0-9]+s ago");
        assertThat(status.all()).doesNotContain(secondPsk).doesNotContain(devicePrivate);

        String sessionId = core.live().id();
        AgentRun down = agent("", "down", "office");

        assertThat(down.exitCode()).as(down.all()).isZero();
        assertThat(down.stdout()).contains("Tunnel to office is down.");
        assertThat(core.ended()).containsExactly(sessionId);
        assertThat(interfaceExists()).isFalse();
        assertThat(saved).doesNotExist();
        assertThat(within(Duration.ofSeconds(5), () -> !Files.exists(Path.of("/var/run/wireguard", deviceIface + ".sock"))))
                .as("wireguard-go stopped with its interface").isTrue();
        assertThat(core.rejected()).isEmpty();
    }

    @Test
    void theKeeperKeepsTheTunnelThroughAProxyOutageAndTearsItDownAtExpiryWhileTheProxyIsDown() throws Exception {
        core.lifetime(Duration.ofSeconds(14));
        AgentRun up = up(FakeCore.GOOD_CODE + "\n", "--keeper-poll-seconds", "1");
        assertThat(up.exitCode()).as(up.all()).isZero();
        Instant notAfter = Instant.parse(core.live().notAfter().toString());
        assertThat(up.stdout()).contains("The keeper (pid");
        Path log = home.resolve("keeper-office.log");

        core.locationsStatus(503); // the edge-proxy restarting
        assertThat(within(Duration.ofSeconds(8), () -> read(log).contains("HTTP 503"))).as(read(log)).isTrue();
        assertThat(interfaceExists()).as("kept through a 5xx").isTrue();
        core.close(); // the proxy is gone altogether
        assertThat(within(Duration.ofSeconds(8), () -> read(log).contains("cannot reach core"))).as(read(log)).isTrue();
        assertThat(interfaceExists()).as("kept while the proxy is unreachable").isTrue();
        assertThat(Instant.now()).isBefore(notAfter);

        assertThat(within(Duration.between(Instant.now(), notAfter).plusSeconds(10), () -> !interfaceExists()))
                .as("torn down at notAfter").isTrue();
        assertThat(Instant.now()).isAfterOrEqualTo(notAfter);
        assertThat(within(Duration.ofSeconds(5), () -> !Files.exists(home.resolve("sessions").resolve("office.json")))).isTrue();
        assertThat(read(log)).contains("the session reached its end").doesNotContain(core.live().psk());
    }

    @Test
    void theKeeperTearsDownAtOnceWhenCoreRevokesTheSessionAfterAWebAuthnSignIn() throws Exception {
        core.webauthnWaits(2);
        AgentRun up = up("", "--method", "webauthn", "--keeper-poll-seconds", "1");
        assertThat(up.exitCode()).as(up.all()).isZero();
        assertThat(up.stdout()).contains("Confirm with your security key in the browser: " + core.origin() + "/mfa/")
                .contains("Waiting for the browser ..").contains(" done");
        assertThat(interfaceExists()).isTrue();

        core.revoke();

        assertThat(within(Duration.ofSeconds(10), () -> !interfaceExists())).as("torn down after revocation").isTrue();
        assertThat(within(Duration.ofSeconds(5), () -> read(home.resolve("keeper-office.log")).contains("core says the session ended")))
                .isTrue();
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
