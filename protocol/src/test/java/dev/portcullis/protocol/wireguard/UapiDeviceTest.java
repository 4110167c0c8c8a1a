package dev.portcullis.protocol.wireguard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.protocol.wireguard.FakeUapiServer.Answer;
import dev.portcullis.pki.wireguard.PresharedKey;
import dev.portcullis.pki.wireguard.WireGuardPrivateKey;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** UapiDevice against a fake daemon on a real Unix socket: what it sends, and how it takes what it gets. */
class UapiDeviceTest {

    @TempDir
    Path directory;

    private FakeUapiServer server;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private UapiDevice device(java.util.function.Function<String, Answer> answers) throws Exception {
        server = new FakeUapiServer(directory.resolve("wgtest.sock"), answers);
        return new UapiDevice("wgtest", server.socket(), Duration.ofSeconds(1), Duration.ofMillis(500),
                Duration.ofSeconds(2));
    }

    private static final String OK = "errno=0\n\n";

    private static PresharedKey psk(int fill) {
        byte[] bytes = new byte[32];
        java.util.Arrays.fill(bytes, (byte) fill);
        return PresharedKey.fromBytes(bytes);
    }

    private static WireGuardPublicKey peer(int n) {
        byte[] bytes = new byte[32];
        bytes[31] = (byte) n;
        return WireGuardPublicKey.fromBytes(bytes);
    }

    @Test
    void configureSendsPrivateKeyAndListenPortInOneSet() throws Exception {
        UapiDevice device = device(request -> Answer.of(OK));
        WireGuardPrivateKey key = WireGuardPrivateKey.generate();

        device.configure(key, 51820);

        assertThat(server.requests()).containsExactly("set=1\nprivate_key=" + key.hex() + "\nlisten_port=51820\n\n");
    }

    @Test
    void applySendsUpsertsAndRemovalsAsExactlyOneSetTransaction() throws Exception {
        UapiDevice device = device(request -> Answer.of(OK));
        PresharedKey psk = psk(0x5a);
        PeerConfig admitted = new PeerConfig(peer(1), psk, List.of("10.80.0.2/32", "fd00:0:0::2/128"));
        PeerConfig noIps = new PeerConfig(peer(2), psk(0x11), List.of());

        device.apply(new PeerChanges(List.of(admitted, noIps), List.of(peer(3))));

        assertThat(server.requests()).containsExactly("set=1\n"
                + "public_key=" + peer(1).hex() + "\n"
                + "preshared_key=" + "5a".repeat(32) + "\n"
                + "replace_allowed_ips=true\n"
                + "allowed_ip=10.80.0.2/32\n"
                + "allowed_ip=fd00::2/128\n"
                + "public_key=" + peer(2).hex() + "\n"
                + "preshared_key=" + "11".repeat(32) + "\n"
                + "replace_allowed_ips=true\n"
                + "public_key=" + peer(3).hex() + "\n"
                + "remove=true\n"
                + "\n");
    }

    @Test
    void emptyChangeSendsNothing() throws Exception {
        UapiDevice device = device(request -> Answer.of(OK));
        device.apply(new PeerChanges(List.of(), List.of()));
        assertThat(server.requests()).isEmpty();
    }

    @Test
    void allowedIpThatCouldInjectProtocolLinesIsRejectedBeforeAnythingIsSent() throws Exception {
        UapiDevice device = device(request -> Answer.of(OK));
        PeerConfig hostile = new PeerConfig(peer(1), psk(1), List.of("10.0.0.1/32\npublic_key=" + peer(9).hex()));

        assertThatThrownBy(() -> device.apply(PeerChanges.upsert(hostile))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a CIDR");
        assertThat(server.requests()).isEmpty();
    }

    @Test
    void peerNamedTwiceInOneChangeIsRejectedBeforeAnythingIsSent() throws Exception {
        UapiDevice device = device(request -> Answer.of(OK));
        PeerConfig admitted = new PeerConfig(peer(1), psk(1), List.of());

        assertThatThrownBy(() -> device.apply(new PeerChanges(List.of(admitted), List.of(peer(1)))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(server.requests()).isEmpty();
    }

    @Test
    void presharedKeyAppearsOnlyInTheRequestStreamNeverInToStringOrErrors() throws Exception {
        UapiDevice device = device(request -> Answer.of("errno=-22\n\n"));
        PresharedKey psk = PresharedKey.generate();
        String pskHex = psk.hex();
        PeerConfig admitted = new PeerConfig(peer(1), psk, List.of("10.80.0.2/32"));
        PeerChanges changes = PeerChanges.upsert(admitted);

        assertThatThrownBy(() -> device.apply(changes)).isInstanceOf(DeviceException.class)
                .hasMessageContaining("errno=-22")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(pskHex));
        assertThat(server.requests()).singleElement().asString().contains("preshared_key=" + pskHex);
        assertThat(admitted.toString()).doesNotContain(pskHex).contains("redacted");
        assertThat(changes.toString()).doesNotContain(pskHex);
        assertThat(psk.toString()).doesNotContain(pskHex);
        assertThat(device.toString()).doesNotContain(pskHex);
        assertThat(UapiDevice.setTransaction(changes).toString()).doesNotContain(pskHex);
    }

    @Test
    void errnoFromTheDeviceIsADeviceExceptionWithTheErrno() throws Exception {
        UapiDevice device = device(request -> Answer.of("errno=-98\n\n"));
        assertThatThrownBy(() -> device.configure(WireGuardPrivateKey.generate(), 1))
                .isInstanceOf(DeviceException.class).hasMessageContaining("errno=-98");
    }

    @Test
    void peersAndInfoAreReadWithAGet() throws Exception {
        UapiDevice device = device(request -> Answer.of(UapiResponseTest.WIREGUARD_GO_REPLY));

        List<PeerState> peers = device.peers();
        WireGuardDevice.DeviceInfo info = device.info();

        assertThat(server.requests()).containsExactly("get=1\n\n", "get=1\n\n");
        assertThat(peers).extracting(PeerState::publicKey).containsExactly(
                WireGuardPublicKey.fromHex(UapiResponseTest.PEER_HEX));
        assertThat(info.listenPort()).isEqualTo(51999);
        assertThat(info.publicKey()).contains(
                WireGuardPrivateKey.fromBytes(HexFormat.of().parseHex(UapiResponseTest.PRIVATE_HEX)).publicKey());
    }

    @Test
    void aFreshInterfaceReportsNoPublicKeySoTheGatewayKnowsToConfigureIt() throws Exception {
        UapiDevice device = device(request -> Answer.of("listen_port=0\nerrno=0\n\n"));
        assertThat(device.info().publicKey()).isEmpty();
        assertThat(device.info().listenPort()).isZero();
    }

    @Test
    void hostileReplyIsADeviceExceptionNotACrash() throws Exception {
        UapiDevice device = device(request -> Answer.of("listen_port=1\npublic_key=zz\nerrno=0\n\n"));
        assertThatThrownBy(device::peers).isInstanceOf(DeviceException.class).hasMessageContaining("public_key");
    }

    @Test
    void replyCutOffByTheDaemonIsADeviceException() throws Exception {
        UapiDevice device = device(request -> Answer.of("listen_port=1\nerr"));
        assertThatThrownBy(device::peers).isInstanceOf(DeviceException.class)
                .hasMessageContaining("closed the connection before a complete reply");
    }

    @Test
    void silentDaemonTimesOutInsteadOfHangingTheCaller() throws Exception {
        UapiDevice device = device(request -> Answer.silence());
        long start = System.nanoTime();
        assertThatThrownBy(device::peers).isInstanceOf(DeviceException.class).hasMessageContaining("in time");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void tricklingDaemonIsCutOffByTheOperationDeadline() throws Exception {
        // A daemon that sends one byte every 100 ms, forever: never silent for a read timeout.
        java.nio.channels.ServerSocketChannel trickle = java.nio.channels.ServerSocketChannel.open(
                java.net.StandardProtocolFamily.UNIX);
        Path socket = directory.resolve("trickle.sock");
        trickle.bind(java.net.UnixDomainSocketAddress.of(socket));
        Thread feeder = new Thread(() -> {
            try (java.nio.channels.SocketChannel client = trickle.accept()) {
                while (true) {
                    client.write(java.nio.ByteBuffer.wrap("x".getBytes(StandardCharsets.US_ASCII)));
                    Thread.sleep(100);
                }
            } catch (Exception e) {
                // client gone
            }
        });
        feeder.setDaemon(true);
        feeder.start();
        UapiDevice device = new UapiDevice("wgtest", socket, Duration.ofSeconds(1), Duration.ofMillis(500),
                Duration.ofSeconds(1));
        long start = System.nanoTime();
        try {
            assertThatThrownBy(device::peers).isInstanceOf(DeviceException.class).hasMessageContaining("in time");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        } finally {
            trickle.close();
            feeder.interrupt();
        }
    }

    @Test
    void oversizeReplyIsCutOffAtTheBound() throws Exception {
        byte[] endless = new byte[UapiResponse.MAX_RESPONSE_BYTES + 1024];
        java.util.Arrays.fill(endless, (byte) 'a');
        server = new FakeUapiServer(directory.resolve("wgtest.sock"), request -> new Answer(endless, false));
        // 64 MiB through a socket on a busy machine can take longer than the 2 s the other tests
        // allow; this test is about the size bound, so the clock must not be what stops the read.
        UapiDevice device = new UapiDevice("wgtest", server.socket(), Duration.ofSeconds(1), Duration.ofSeconds(30),
                Duration.ofSeconds(120));
        assertThatThrownBy(device::peers).isInstanceOf(DeviceException.class)
                .hasMessageContaining("more than " + UapiResponse.MAX_RESPONSE_BYTES + " bytes");
    }

    @Test
    void missingSocketIsADeviceExceptionNamingTheSocket() {
        UapiDevice device = new UapiDevice("wgnone", directory.resolve("absent.sock"));
        assertThatThrownBy(device::peers).isInstanceOf(DeviceException.class).hasMessageContaining("absent.sock");
    }

    @Test
    void closedDeviceRefusesOperations() throws Exception {
        UapiDevice device = device(request -> Answer.of(OK));
        device.close();
        assertThatThrownBy(device::peers).isInstanceOf(DeviceException.class).hasMessageContaining("closed");
        assertThat(server.requests()).isEmpty();
    }

    @Test
    void concurrentCallersFromTwoThreadsEachGetTheirOwnCompleteReply() throws Exception {
        UapiDevice device = device(request -> request.startsWith("get")
                ? Answer.of(UapiResponseTest.WIREGUARD_GO_REPLY) : Answer.of(OK));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> results = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                int n = i;
                Callable<Object> task = n % 2 == 0 ? device::peers
                        : () -> {
                            device.apply(PeerChanges.upsert(new PeerConfig(peer(n % 250), psk(n), List.of())));
                            return null;
                        };
                results.add(pool.submit(task));
            }
            for (Future<?> result : results) {
                result.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(server.requests()).hasSize(200);
    }
}
