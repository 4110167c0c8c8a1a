package dev.portcullis.protocol.wireguard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.pki.wireguard.WireGuardPrivateKey;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The UAPI reply parser against well-formed, surprising and hostile replies. */
class UapiResponseTest {

    static final String PRIVATE_HEX = "782668b40d3721ae264f70c93eab219a8caeb09535dc65a9cd3a2203a7ec1866";
    static final String PEER_HEX = "48bd082a2d37999a66382f104142a7fcaa4c01414af87b021816f998271da42d";
    static final String PEER2_HEX = "1111111111111111111111111111111111111111111111111111111111111111";
    static final String PSK_HEX = "3952ab778f0124f6f4398b9028b4d3df33a34bc5a149f49e87102741275e6ff6";
    static final String ZERO_HEX = "0".repeat(64);

    /** What wireguard-go 0.0.2023 answers for one peer (captured on this machine). */
    static final String WIREGUARD_GO_REPLY = "private_key=" + PRIVATE_HEX + "\n"
            + "listen_port=51999\n"
            + "public_key=" + PEER_HEX + "\n"
            + "preshared_key=" + PSK_HEX + "\n"
            + "protocol_version=1\n"
            + "endpoint=192.0.2.1:5555\n"
            + "last_handshake_time_sec=1700000000\n"
            + "last_handshake_time_nsec=5\n"
            + "tx_bytes=10\n"
            + "rx_bytes=20\n"
            + "persistent_keepalive_interval=0\n"
            + "allowed_ip=10.0.0.2/32\n"
            + "allowed_ip=fd00::2/128\n"
            + "errno=0\n\n";

    static UapiResponse.Device parse(String reply) throws DeviceException {
        byte[] bytes = reply.getBytes(StandardCharsets.ISO_8859_1);
        return UapiResponse.parseGet(bytes, bytes.length);
    }

    static String reply(String peerLines) {
        return "private_key=" + PRIVATE_HEX + "\nlisten_port=51820\npublic_key=" + PEER_HEX + "\n" + peerLines
                + "errno=0\n\n";
    }

    @Test
    void wireguardGoReplyYieldsEveryPeerAttributeAndThePublicKeyOfThePrivateKey() throws Exception {
        UapiResponse.Device device = parse(WIREGUARD_GO_REPLY);

        byte[] privateBytes = java.util.HexFormat.of().parseHex(PRIVATE_HEX);
        assertThat(device.publicKey()).contains(WireGuardPrivateKey.fromBytes(privateBytes).publicKey());
        assertThat(device.listenPort()).isEqualTo(51999);
        assertThat(device.peers()).hasSize(1);
        PeerState peer = device.peers().get(0);
        assertThat(peer.publicKey().hex()).isEqualTo(PEER_HEX);
        assertThat(peer.hasPresharedKey()).isTrue();
        assertThat(peer.endpoint()).contains(new InetSocketAddress("192.0.2.1", 5555));
        assertThat(peer.lastHandshake()).contains(Instant.ofEpochSecond(1_700_000_000L, 5));
        assertThat(peer.txBytes()).isEqualTo(10);
        assertThat(peer.rxBytes()).isEqualTo(20);
        assertThat(peer.allowedIps()).containsExactly("10.0.0.2/32", "fd00::2/128");
    }

    @Test
    void zeroPresharedKeyAndZeroHandshakeMeanNoneAndNever() throws Exception {
        PeerState peer = parse(reply("preshared_key=" + ZERO_HEX + "\nlast_handshake_time_sec=0\n"
                + "last_handshake_time_nsec=0\n")).peers().get(0);

        assertThat(peer.hasPresharedKey()).isFalse();
        assertThat(peer.lastHandshake()).isEmpty();
        assertThat(peer.endpoint()).isEmpty();
    }

    @Test
    void interfaceWithoutPrivateKeyHasNoPublicKey() throws Exception {
        assertThat(parse("listen_port=0\nerrno=0\n\n").publicKey()).isEqualTo(Optional.empty());
    }

    @Test
    void ipv6EndpointIsParsedAndItsZoneDropped() throws Exception {
        assertThat(parse(reply("endpoint=[fd00::1]:51820\n")).peers().get(0).endpoint())
                .contains(new InetSocketAddress("fd00::1", 51820));
        assertThat(parse(reply("endpoint=[fe80::1%eth0]:51820\n")).peers().get(0).endpoint())
                .contains(new InetSocketAddress("fe80::1", 51820));
    }

    @Test
    void wellFormedUnknownInterfaceKeyIsIgnored() throws Exception {
        UapiResponse.Device device = parse("listen_port=1\nsome_future_key=abc\nerrno=0\n\n");
        assertThat(device.listenPort()).isEqualTo(1);
    }

    @Test
    void unknownPeerKeyIsRejected() {
        assertRejected(reply("some_future_key=1\n"), "unknown peer attribute some_future_key");
    }

    @Test
    void lineWithoutEqualsIsRejected() {
        assertRejected("listen_port=1\ngarbage\nerrno=0\n\n", "without '='");
    }

    @Test
    void malformedKeyNamesAreRejected() {
        assertRejected("listen_port=1\n=1\nerrno=0\n\n", "malformed key");
        assertRejected("listen_port=1\nListen_Port=1\nerrno=0\n\n", "malformed key");
        assertRejected("listen_port=1\n" + "k".repeat(65) + "=1\nerrno=0\n\n", "malformed key");
    }

    @Test
    void truncatedReplyIsRejected() {
        String full = WIREGUARD_GO_REPLY;
        for (int cut : new int[] {0, 10, full.indexOf("public_key"), full.length() - 12, full.length() - 1}) {
            assertThatThrownBy(() -> parse(full.substring(0, cut))).as("cut at %d", cut)
                    .isInstanceOf(DeviceException.class);
        }
        assertRejected(full.substring(0, full.length() - 1), "truncated");
    }

    @Test
    void missingErrnoIsRejected() {
        assertRejected("listen_port=1\n\n", "does not end with errno");
        assertRejected("\n", "empty");
    }

    @Test
    void nonZeroErrnoIsAnErrorNamingTheErrno() {
        assertRejected("errno=-22\n\n", "errno=-22");
        assertRejected("errno=5\n\n", "errno=5");
    }

    @Test
    void malformedErrnoIsRejected() {
        assertRejected("errno=abc\n\n", "malformed errno");
        assertRejected("errno=99999999999999\n\n", "malformed errno");
        assertRejected("errno=\n\n", "malformed errno");
    }

    @Test
    void errnoBeforeTheEndIsRejected() {
        assertRejected("errno=0\nlisten_port=1\nerrno=0\n\n", "errno before the end");
    }

    @Test
    void dataAfterTheTerminatingEmptyLineIsRejected() {
        assertRejected("listen_port=1\nerrno=0\n\nlisten_port=2\n", "after its terminating");
    }

    @Test
    void numbersMustBeNonNegativeDecimalsInRange() {
        assertRejected("listen_port=-1\nerrno=0\n\n", "listen_port is not a number");
        assertRejected("listen_port=65536\nerrno=0\n\n", "listen_port is not a number");
        assertRejected("listen_port=+1\nerrno=0\n\n", "listen_port is not a number");
        assertRejected("listen_port=0x10\nerrno=0\n\n", "listen_port is not a number");
        assertRejected("listen_port=01\nerrno=0\n\n", "listen_port is not a number");
        assertRejected(reply("tx_bytes=9223372036854775808\n"), "tx_bytes is not a number");
        assertRejected(reply("rx_bytes=99999999999999999999999999\n"), "rx_bytes is not a number");
        assertRejected(reply("rx_bytes=-5\n"), "rx_bytes is not a number");
        assertRejected(reply("last_handshake_time_nsec=1000000000\n"), "last_handshake_time_nsec");
        assertRejected(reply("persistent_keepalive_interval=65536\n"), "persistent_keepalive_interval");
    }

    @Test
    void handshakeBeyondTheRepresentableRangeIsRejected() {
        assertRejected(reply("last_handshake_time_sec=9223372036854775807\n"), "handshake time out of range");
    }

    @Test
    void keysOfWrongLengthOrNotLowerCaseHexAreRejected() {
        assertRejected(reply("").replace(PEER_HEX, PEER_HEX.substring(2)), "public_key is not 64 hex digits");
        assertRejected(reply("").replace(PEER_HEX, PEER_HEX + "00"), "public_key is not 64 hex digits");
        assertRejected(reply("").replace(PEER_HEX, PEER_HEX.toUpperCase()), "public_key is not lower-case hex");
        assertRejected(reply("preshared_key=" + PSK_HEX.replace('a', 'g') + "\n"), "preshared_key is not lower-case hex");
        assertRejected(reply("").replace(PRIVATE_HEX, PRIVATE_HEX.substring(1)), "private_key is not 64 hex digits");
    }

    @Test
    void allowedIpThatIsNotACidrIsRejected() {
        for (String bad : new String[] {"10.0.0.1", "10.0.0.1/33", "fd00::1/129", "example.com/32", "10.0.0.256/32",
                "10.0.0.1/-1", "10.0.0.1/08", "1.2.3/24", "/24", "10.0.0.1/32/32", "fd00::1%eth0/128"}) {
            assertThatThrownBy(() -> parse(reply("allowed_ip=" + bad + "\n"))).as(bad)
                    .isInstanceOf(DeviceException.class).hasMessageContaining("allowed_ip is not a CIDR")
                    .hasMessageNotContaining(bad);
        }
    }

    @Test
    void endpointThatDoesNotParseIsRejected() {
        for (String bad : new String[] {"192.0.2.1", "192.0.2.1:0", "192.0.2.1:65536", "fd00::1:51820",
                "[fd00::1]", "[192.0.2.1]:1", "example.com:51820", "192.0.2.1:abc", ":51820", "[fd00::1%a b]:1"}) {
            assertThatThrownBy(() -> parse(reply("endpoint=" + bad + "\n"))).as(bad)
                    .isInstanceOf(DeviceException.class);
        }
    }

    @Test
    void duplicatePeerIsRejected() {
        assertRejected(reply("public_key=" + PEER_HEX + "\n"), "the same peer twice");
    }

    @Test
    void attributeRepeatedWithinAPeerIsRejected() {
        assertRejected(reply("tx_bytes=1\ntx_bytes=2\n"), "tx_bytes twice");
        assertRejected(reply("allowed_ip=10.0.0.1/32\nallowed_ip=10.0.0.1/32\n"), "same allowed_ip twice");
        assertRejected("listen_port=1\nlisten_port=2\nerrno=0\n\n", "listen_port twice");
    }

    @Test
    void interfaceKeyAfterAPeerIsRejected() {
        assertRejected(reply("listen_port=1\n"), "unknown peer attribute listen_port");
    }

    @Test
    void unsupportedProtocolVersionIsRejected() {
        assertRejected(reply("protocol_version=2\n"), "unsupported protocol_version");
    }

    @Test
    void controlCharactersAndNonAsciiAreRejected() {
        assertRejected("listen_port=1\r\nerrno=0\n\n", "control");
        assertRejected("listen_port=1\nfoo=b\u00e9\nerrno=0\n\n", "non-ASCII");
        assertRejected("listen_port=1\nfoo=a b\nerrno=0\n\n", "space");
    }

    @Test
    void overlongLineIsRejected() {
        assertRejected("listen_port=1\nfoo=" + "a".repeat(UapiResponse.MAX_LINE_BYTES) + "\nerrno=0\n\n", "longer than");
    }

    @Test
    void tooManyPeersIsRejected() {
        StringBuilder reply = new StringBuilder("listen_port=1\n");
        for (int i = 0; i <= UapiResponse.MAX_PEERS; i++) {
            reply.append("public_key=").append(String.format("%064x", i)).append('\n');
        }
        reply.append("errno=0\n\n");
        assertRejected(reply.toString(), "more than " + UapiResponse.MAX_PEERS + " peers");
    }

    @Test
    void tooManyAllowedIpsForOnePeerIsRejected() {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i <= UapiResponse.MAX_ALLOWED_IPS_PER_PEER; i++) {
            lines.append("allowed_ip=10.").append(i / 256).append('.').append(i % 256).append(".0/24\n");
        }
        assertRejected(reply(lines.toString()), "more than " + UapiResponse.MAX_ALLOWED_IPS_PER_PEER + " allowed IPs");
    }

    @Test
    void oversizeReplyIsRejectedBeforeParsing() {
        byte[] huge = new byte[UapiResponse.MAX_RESPONSE_BYTES + 1];
        assertThatThrownBy(() -> UapiResponse.parseGet(huge, huge.length)).isInstanceOf(DeviceException.class)
                .hasMessageContaining("larger than");
    }

    @Test
    void setReplyMustBeExactlyAnErrno() throws Exception {
        byte[] ok = "errno=0\n\n".getBytes(StandardCharsets.US_ASCII);
        UapiResponse.parseSet(ok, ok.length);
        for (String bad : List.of("listen_port=1\nerrno=0\n\n", "errno=0\n", "errno=-22\n\n", "\n")) {
            byte[] bytes = bad.getBytes(StandardCharsets.US_ASCII);
            assertThatThrownBy(() -> UapiResponse.parseSet(bytes, bytes.length)).as(bad)
                    .isInstanceOf(DeviceException.class);
        }
    }

    @Test
    void rejectionMessagesNeverContainKeyMaterial() {
        List<String> hostile = List.of(
                WIREGUARD_GO_REPLY.replace("errno=0", "errno=-22"),
                WIREGUARD_GO_REPLY.replace("protocol_version=1", "protocol_version=3"),
                WIREGUARD_GO_REPLY.replace("allowed_ip=10.0.0.2/32", "allowed_ip=" + PSK_HEX),
                WIREGUARD_GO_REPLY.replace("endpoint=192.0.2.1:5555", "endpoint=" + PRIVATE_HEX + ":1"),
                WIREGUARD_GO_REPLY.replace("preshared_key=" + PSK_HEX, "preshared_key=" + PSK_HEX + "0"),
                WIREGUARD_GO_REPLY.replace("tx_bytes=10", "tx_bytes=" + PSK_HEX),
                WIREGUARD_GO_REPLY.replace("tx_bytes=10", PSK_HEX));
        for (String reply : hostile) {
            assertThatThrownBy(() -> parse(reply)).isInstanceOf(DeviceException.class)
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain(PSK_HEX).doesNotContain(PRIVATE_HEX)
                            .doesNotContain(PSK_HEX.substring(0, 16)).doesNotContain(PRIVATE_HEX.substring(0, 16)));
        }
    }

    static void assertRejected(String reply, String messagePart) {
        assertThatThrownBy(() -> parse(reply)).isInstanceOf(DeviceException.class).hasMessageContaining(messagePart);
    }
}
