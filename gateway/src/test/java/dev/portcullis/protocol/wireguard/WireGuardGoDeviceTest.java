package dev.portcullis.protocol.wireguard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.gateway.testnet.TestNetwork;
import dev.portcullis.protocol.wireguard.WireGuardInterfaces.Implementation;
import dev.portcullis.pki.wireguard.PresharedKey;
import dev.portcullis.pki.wireguard.WireGuardPrivateKey;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Both device implementations against a real wireguard-go in a network namespace: interface
 * creation, keys and port, peer upserts and removals, and attaching to a running interface.
 */
class WireGuardGoDeviceTest {

    private TestNetwork network;
    private TestNetwork.Namespace gateway;
    private String name;

    @BeforeEach
    void setUp() {
        network = new TestNetwork();
        gateway = network.namespace("gw");
        name = network.interfaceName("g");
    }

    @AfterEach
    void tearDown() {
        network.close();
    }

    private static WireGuardPublicKey newPeer() {
        return WireGuardPrivateKey.generate().publicKey();
    }

    private static Map<WireGuardPublicKey, PeerState> byKey(List<PeerState> peers) {
        return peers.stream().collect(Collectors.toMap(PeerState::publicKey, Function.identity()));
    }

    /** Upserts two, then in one transaction replaces one's allowed IPs and removes the other. */
    private static void peersAreAddedUpdatedAndRemoved(WireGuardDevice device) throws DeviceException {
        WireGuardPublicKey first = newPeer();
        WireGuardPublicKey second = newPeer();
        device.apply(new PeerChanges(List.of(
                new PeerConfig(first, PresharedKey.generate(), List.of("10.80.0.2/32", "fd00:0:0::2/128")),
                new PeerConfig(second, PresharedKey.generate(), List.of("10.80.0.3/32"))), List.of()));

        Map<WireGuardPublicKey, PeerState> peers = byKey(device.peers());
        assertThat(peers).containsOnlyKeys(first, second);
        assertThat(peers.get(first).allowedIps()).containsExactlyInAnyOrder("10.80.0.2/32", "fd00::2/128");
        assertThat(peers.get(first).hasPresharedKey()).isTrue();
        assertThat(peers.get(first).lastHandshake()).isEmpty();
        assertThat(peers.get(first).endpoint()).isEmpty();
        assertThat(peers.get(second).allowedIps()).containsExactly("10.80.0.3/32");

        device.apply(new PeerChanges(List.of(new PeerConfig(first, PresharedKey.generate(), List.of("10.80.1.0/24"))),
                List.of(second)));

        peers = byKey(device.peers());
        assertThat(peers).containsOnlyKeys(first);
        assertThat(peers.get(first).allowedIps()).containsExactly("10.80.1.0/24");
    }

    @Test
    void userspaceInterfaceIsCreatedConfiguredAndReportsThePublicKeyOfItsPrivateKey() throws Exception {
        try (WireGuardDevice device = WireGuardInterfaces.open(name, Implementation.USERSPACE, gateway.name())) {
            assertThat(device).isInstanceOf(UapiDevice.class);
            assertThat(network.exec(gateway, "ip", "-details", "link", "show", "dev", name)).contains("tun");
            WireGuardPrivateKey key = WireGuardPrivateKey.generate();

            device.configure(key, 51820);

            assertThat(device.info()).isEqualTo(new WireGuardDevice.DeviceInfo(java.util.Optional.of(key.publicKey()), 51820));
            assertThat(network.exec(gateway, "wg", "show", name, "public-key").strip()).isEqualTo(key.publicKey().base64());
            peersAreAddedUpdatedAndRemoved(device);
        }
    }

    @Test
    void wgToolDeviceDrivesTheSameOperationsThroughWg() throws Exception {
        WireGuardInterfaces.open(name, Implementation.USERSPACE, gateway.name()).close();
        try (WgToolDevice device = new WgToolDevice(name, HostCommand.inNamespace(gateway.name()))) {
            WireGuardPrivateKey key = WireGuardPrivateKey.generate();

            device.configure(key, 51821);

            assertThat(device.info()).isEqualTo(new WireGuardDevice.DeviceInfo(java.util.Optional.of(key.publicKey()), 51821));
            peersAreAddedUpdatedAndRemoved(device);
        }
    }

    @Test
    void wgToolDeviceNeverPutsKeysOnTheCommandLine() throws Exception {
        // wg reads keys from stdin: the only argv it gets are names, public keys and ports.
        WireGuardInterfaces.open(name, Implementation.USERSPACE, gateway.name()).close();
        PresharedKey psk = PresharedKey.generate();
        WireGuardPrivateKey key = WireGuardPrivateKey.generate();
        List<List<String>> argv = new java.util.concurrent.CopyOnWriteArrayList<>();
        WgToolDevice device = new WgToolDevice(name, HostCommand.inNamespace(gateway.name()).observed(argv::add));

        device.configure(key, 1);
        device.apply(PeerChanges.upsert(new PeerConfig(newPeer(), psk, List.of("10.0.0.1/32"))));

        String psk64 = java.util.Base64.getEncoder().encodeToString(psk.bytes());
        String key64 = java.util.Base64.getEncoder().encodeToString(key.bytes());
        assertThat(argv).hasSize(2).allSatisfy(line -> assertThat(line).noneMatch(
                a -> a.contains(psk64) || a.contains(key64) || a.contains(psk.hex()) || a.contains(key.hex())));
        assertThat(device.peers()).singleElement().extracting(PeerState::hasPresharedKey).isEqualTo(true);
    }

    @Test
    void openingARunningInterfaceAttachesAndKeepsItsKeyAndPeers() throws Exception {
        WireGuardPrivateKey key = WireGuardPrivateKey.generate();
        WireGuardPublicKey peer = newPeer();
        try (WireGuardDevice first = WireGuardInterfaces.open(name, Implementation.USERSPACE, gateway.name())) {
            first.configure(key, 51822);
            first.apply(PeerChanges.upsert(new PeerConfig(peer, PresharedKey.generate(), List.of("10.80.0.9/32"))));
        }
        String daemons = network.run("ip", "netns", "pids", gateway.name()).strip();

        for (Implementation implementation : List.of(Implementation.USERSPACE, Implementation.AUTO)) {
            try (WireGuardDevice again = WireGuardInterfaces.open(name, implementation, gateway.name())) {
                assertThat(again.info()).isEqualTo(new WireGuardDevice.DeviceInfo(java.util.Optional.of(key.publicKey()), 51822));
                assertThat(again.peers()).singleElement().satisfies(state -> {
                    assertThat(state.publicKey()).isEqualTo(peer);
                    assertThat(state.allowedIps()).containsExactly("10.80.0.9/32");
                    assertThat(state.hasPresharedKey()).isTrue();
                });
            }
        }
        assertThat(network.run("ip", "netns", "pids", gateway.name()).strip()).as("no second daemon").isEqualTo(daemons);
    }

    @Test
    void autoFallsBackToUserspaceWhereTheKernelHasNoWireGuard() throws Exception {
        // These machines have no kernel WireGuard module; on one that has, AUTO picks the kernel.
        boolean kernel = network.tryExec(gateway, "ip", "link", "add", name + "k", "type", "wireguard").exitCode() == 0;
        try (WireGuardDevice device = WireGuardInterfaces.open(name, Implementation.AUTO, gateway.name())) {
            assertThat(device).isInstanceOf(kernel ? WgToolDevice.class : UapiDevice.class);
            WireGuardPrivateKey key = WireGuardPrivateKey.generate();
            device.configure(key, 0);
            assertThat(device.info().publicKey()).contains(key.publicKey());
        }
    }

    @Test
    void kernelImplementationWorksWithTheModuleAndFailsClearlyWithout() throws Exception {
        boolean kernel = network.tryExec(gateway, "ip", "link", "add", name + "k", "type", "wireguard").exitCode() == 0;
        if (kernel) {
            // A host with the module: the kernel path must really work (through wg/netlink).
            try (WireGuardDevice device = WireGuardInterfaces.open(name, Implementation.KERNEL, gateway.name())) {
                assertThat(device).isInstanceOf(WgToolDevice.class);
            }
        } else {
            // This project's build machines: no module, and the error says what to do.
            assertThatThrownBy(() -> WireGuardInterfaces.open(name, Implementation.KERNEL, gateway.name()))
                    .isInstanceOf(DeviceException.class).hasMessageContaining("wireguard module");
        }
    }

    @Test
    void configureLinkGivesAddressesAndMtuAndBringsTheInterfaceUp() throws Exception {
        WireGuardInterfaces.open(name, Implementation.USERSPACE, gateway.name()).close();

        WireGuardInterfaces.configureLink(name, List.of("10.80.0.1/24", "fd00:80::1/64"), 1380, gateway.name());
        WireGuardInterfaces.configureLink(name, List.of("10.80.0.1/24", "fd00:80::1/64"), 1380, gateway.name());

        String link = network.exec(gateway, "ip", "-o", "link", "show", "dev", name);
        assertThat(link).contains("mtu 1380").contains("UP");
        String addresses = network.exec(gateway, "ip", "-o", "address", "show", "dev", name);
        assertThat(addresses).contains("inet 10.80.0.1/24").contains("inet6 fd00:80::1/64");
    }

    @Test
    void deleteRemovesTheInterfaceAndItsDaemonAndIsIdempotent() throws Exception {
        WireGuardInterfaces.open(name, Implementation.USERSPACE, gateway.name()).close();
        Path socket = UapiDevice.SOCKET_DIRECTORY.resolve(name + ".sock");
        assertThat(socket).exists();

        WireGuardInterfaces.delete(name, gateway.name());

        assertThat(network.tryExec(gateway, "ip", "link", "show", "dev", name).exitCode()).isNotZero();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (Files.exists(socket) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(socket).doesNotExist();
        WireGuardInterfaces.delete(name, gateway.name());
    }

    @Test
    void missingToolIsNamedWithHowToInstallIt() {
        assertThatThrownBy(() -> HostCommand.locate("wireguard-go-that-is-not-installed"))
                .isInstanceOf(DeviceException.class)
                .hasMessage("wireguard-go-that-is-not-installed not found: install it with scripts/install-os-packages");
    }

    @Test
    void interfaceNamesThatAreNotLinuxInterfaceNamesAreRefused() {
        for (String bad : new String[] {"", "a-name-longer-than-15", "../etc", "wg 0", "wg0\n", "-wg0", "wg/0"}) {
            assertThatThrownBy(() -> WireGuardInterfaces.open(bad, Implementation.USERSPACE))
                    .as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
