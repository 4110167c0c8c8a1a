package dev.portcullis.protocol.wireguard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.testnet.TestNetwork;
import dev.portcullis.protocol.wireguard.WireGuardInterfaces.Implementation;
import dev.portcullis.pki.wireguard.PresharedKey;
import dev.portcullis.pki.wireguard.WireGuardPrivateKey;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two wireguard-go interfaces in two namespaces joined by veth, both configured through
 * UapiDevice: traffic passes only while the gateway has the device as a peer.
 */
class TunnelThroughWireGuardGoTest {

    private static final int GATEWAY_PORT = 51820;

    private TestNetwork network;

    @BeforeEach
    void setUp() {
        network = new TestNetwork();
    }

    @AfterEach
    void tearDown() {
        network.close();
    }

    private boolean ping(TestNetwork.Namespace from, String address) {
        List<String> command = new java.util.ArrayList<>(PING);
        command.addAll(List.of("-c", "3", "-W", "1", address));
        return network.tryExec(from, command.toArray(String[]::new)).exitCode() == 0;
    }

    /**
     * iputils ping where installed, else busybox's (same -c/-W meaning). Neither found fails the
     * test rather than skipping it: a skipped tunnel test proves nothing.
     */
    private static final List<String> PING = findPing();

    private static List<String> findPing() {
        for (String directory : new String[] {"/usr/bin", "/bin", "/usr/sbin", "/sbin"}) {
            if (java.nio.file.Files.isExecutable(java.nio.file.Path.of(directory, "ping"))) {
                return List.of(directory + "/ping");
            }
        }
        for (String directory : new String[] {"/usr/bin", "/bin"}) {
            if (java.nio.file.Files.isExecutable(java.nio.file.Path.of(directory, "busybox"))) {
                return List.of(directory + "/busybox", "ping");
            }
        }
        throw new IllegalStateException("no ping on this host: install iputils-ping");
    }

    @Test
    void pingPassesOnlyWhileTheGatewayHasTheDeviceAsAPeer() throws Exception {
        TestNetwork.Namespace gatewayNs = network.namespace("gw");
        TestNetwork.Namespace deviceNs = network.namespace("dev");
        network.link(gatewayNs, "192.168.77.1/24", deviceNs, "192.168.77.2/24");
        String gatewayName = network.interfaceName("g");
        String deviceName = network.interfaceName("d");
        WireGuardPrivateKey gatewayKey = WireGuardPrivateKey.generate();
        WireGuardPrivateKey deviceKey = WireGuardPrivateKey.generate();

        try (WireGuardDevice gateway = WireGuardInterfaces.open(gatewayName, Implementation.USERSPACE, gatewayNs.name());
             WireGuardDevice device = WireGuardInterfaces.open(deviceName, Implementation.USERSPACE, deviceNs.name())) {
            gateway.configure(gatewayKey, GATEWAY_PORT);
            device.configure(deviceKey, 0);
            WireGuardInterfaces.configureLink(gatewayName, List.of("10.99.0.1/24"), 1420, gatewayNs.name());
            WireGuardInterfaces.configureLink(deviceName, List.of("10.99.0.2/24"), 1420, deviceNs.name());
            PresharedKey psk = PresharedKey.generate();
            PeerConfig gatewayAsPeer = new PeerConfig(gatewayKey.publicKey(), psk, List.of("10.99.0.1/32"));
            PeerConfig deviceAsPeer = new PeerConfig(deviceKey.publicKey(), psk, List.of("10.99.0.2/32"));

            // Not admitted: the device knows the gateway, the gateway does not know the device.
            device.apply(PeerChanges.upsert(gatewayAsPeer));
            setEndpoint(deviceNs, deviceName, gatewayKey);
            assertThat(ping(deviceNs, "10.99.0.1")).as("ping before admission").isFalse();
            assertThat(gateway.peers()).isEmpty();

            // Admitted. The device sets its peer afresh, as it does with the session's key.
            gateway.apply(PeerChanges.upsert(deviceAsPeer));
            device.apply(PeerChanges.remove(gatewayKey.publicKey()));
            device.apply(PeerChanges.upsert(gatewayAsPeer));
            setEndpoint(deviceNs, deviceName, gatewayKey);
            assertThat(ping(deviceNs, "10.99.0.1")).as("ping after admission").isTrue();

            PeerState seen = gateway.peers().get(0);
            assertThat(seen.publicKey()).isEqualTo(deviceKey.publicKey());
            assertThat(seen.lastHandshake()).isPresent();
            assertThat(seen.endpoint()).get().extracting(InetSocketAddress::getHostString).isEqualTo("192.168.77.2");
            assertThat(seen.rxBytes()).isPositive();
            assertThat(seen.txBytes()).isPositive();

            // Evicted.
            gateway.apply(PeerChanges.remove(deviceKey.publicKey()));
            assertThat(gateway.peers()).isEmpty();
            assertThat(ping(deviceNs, "10.99.0.1")).as("ping after removal").isFalse();
        }
    }

    private void setEndpoint(TestNetwork.Namespace deviceNs, String deviceName, WireGuardPrivateKey gatewayKey) {
        // The device side is a standard wg-configured peer: the gateway never sets endpoints itself.
        network.exec(deviceNs, "wg", "set", deviceName, "peer", gatewayKey.publicKey().base64(), "endpoint",
                "192.168.77.1:" + GATEWAY_PORT);
    }
}
