package dev.portcullis.protocol.wireguard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@code wg show IFACE dump} parser against real and hostile output. */
class WgDumpTest {

    static final String PRIVATE = "eCZotA03Ia4mT3DJPqshmoyusJU13GWpzToiA6fsGGY=";
    static final String PUBLIC = "g4u76rktRYbGw+5k9/x1sApe+g9y4nVsF4tSIpEGDVY=";
    static final String PEER = "SL0IKi03mZpmOC8QQUKn/KpMAUFK+HsCGBb5mCcdpC0=";
    static final String PSK = "OVKrd48BJPb0OYuQKLTT3zOjS8WhSfSehxAnQSdeb/Y=";

    /** Captured from wg against wireguard-go on this machine. */
    static final String DUMP = PRIVATE + "\t" + PUBLIC + "\t51999\toff\n"
            + PEER + "\t" + PSK + "\t192.0.2.1:5555\t10.0.0.2/32,fd00::2/128\t1700000000\t20\t10\toff\n";

    static UapiResponse.Device parse(String output) throws DeviceException {
        return WgDump.parse(output.getBytes(StandardCharsets.ISO_8859_1));
    }

    static String peerLine(String endpoint, String allowed, String handshake, String rx, String tx, String keepalive) {
        return PRIVATE + "\t" + PUBLIC + "\t1\toff\n" + PEER + "\t" + PSK + "\t" + endpoint + "\t" + allowed + "\t"
                + handshake + "\t" + rx + "\t" + tx + "\t" + keepalive + "\n";
    }

    @Test
    void realDumpYieldsInterfaceAndPeers() throws Exception {
        UapiResponse.Device device = parse(DUMP);

        assertThat(device.publicKey()).contains(WireGuardPublicKey.fromBase64(PUBLIC));
        assertThat(device.listenPort()).isEqualTo(51999);
        PeerState peer = device.peers().get(0);
        assertThat(peer.publicKey()).isEqualTo(WireGuardPublicKey.fromBase64(PEER));
        assertThat(peer.hasPresharedKey()).isTrue();
        assertThat(peer.endpoint()).contains(new InetSocketAddress("192.0.2.1", 5555));
        assertThat(peer.allowedIps()).containsExactly("10.0.0.2/32", "fd00::2/128");
        assertThat(peer.lastHandshake()).contains(Instant.ofEpochSecond(1_700_000_000L));
        assertThat(peer.rxBytes()).isEqualTo(20);
        assertThat(peer.txBytes()).isEqualTo(10);
    }

    @Test
    void noneValuesMeanAbsent() throws Exception {
        UapiResponse.Device device = parse("(none)\t(none)\t0\toff\n" + PEER + "\t(none)\t(none)\t(none)\t0\t0\t0\t25\n");
        assertThat(device.publicKey()).isEmpty();
        PeerState peer = device.peers().get(0);
        assertThat(peer.hasPresharedKey()).isFalse();
        assertThat(peer.endpoint()).isEmpty();
        assertThat(peer.allowedIps()).isEmpty();
        assertThat(peer.lastHandshake()).isEmpty();
    }

    @Test
    void hostileOrMalformedDumpsAreRejectedWithoutQuotingThem() {
        List<String> bad = List.of(
                "",
                DUMP.substring(0, DUMP.length() - 1),
                DUMP.replace("\toff\n", "\n"),
                DUMP + "\n",
                DUMP.replace("51999", "65536"),
                DUMP.replace("51999", "-1"),
                DUMP + PEER + "\t(none)\t(none)\t(none)\t0\t0\t0\toff\n",
                DUMP.replace(PEER, PEER.substring(1)),
                DUMP.replace(PEER, PEER.replace('=', 'A')),
                DUMP.replace(PEER, PEER.replace("pC0=", "pC1=")),
                DUMP.replace(PSK, PSK.substring(2)),
                peerLine("192.0.2.1", "(none)", "0", "0", "0", "off"),
                peerLine("host.example:1", "(none)", "0", "0", "0", "off"),
                peerLine("(none)", "10.0.0.1", "0", "0", "0", "off"),
                peerLine("(none)", "10.0.0.1/32,", "0", "0", "0", "off"),
                peerLine("(none)", "10.0.0.1/32,10.0.0.1/32", "0", "0", "0", "off"),
                peerLine("(none)", "(none)", "99999999999999999999", "0", "0", "off"),
                peerLine("(none)", "(none)", "0", "-1", "0", "off"),
                peerLine("(none)", "(none)", "0", "0", "9223372036854775808", "off"),
                peerLine("(none)", "(none)", "0", "0", "0", "on"),
                peerLine("(none)", "(none)", "9223372036854775807", "0", "0", "off"),
                DUMP.replace("192.0.2.1:5555", "192.0.2.1:5555 "),
                DUMP.replace("\n" + PEER, "\n\u0007" + PEER));
        for (String output : bad) {
            assertThatThrownBy(() -> parse(output)).as(output).isInstanceOf(DeviceException.class)
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain(PSK).doesNotContain(PRIVATE)
                            .doesNotContain(PSK.substring(0, 12)).doesNotContain(PRIVATE.substring(0, 12)));
        }
    }
}
