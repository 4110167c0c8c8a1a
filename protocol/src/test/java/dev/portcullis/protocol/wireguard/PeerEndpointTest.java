package dev.portcullis.protocol.wireguard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.pki.wireguard.PresharedKey;
import dev.portcullis.pki.wireguard.WireGuardPrivateKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The client side's peer fields (endpoint, keepalive), which a gateway's peers never carry. */
class PeerEndpointTest {

    private final PresharedKey psk = PresharedKey.generate();
    private final WireGuardPrivateKey gateway = WireGuardPrivateKey.generate();

    @Test
    void aPeerWithEndpointAndKeepaliveSetsBothInTheSameTransaction() throws Exception {
        PeerConfig peer = new PeerConfig(gateway.publicKey(), psk, List.of("10.80.0.0/24"),
                Optional.of(new InetSocketAddress(InetAddress.getByName("2001:db8::7"), 51820)), 25);

        UapiDevice.Request request = UapiDevice.setTransaction(PeerChanges.upsert(peer));

        assertThat(request.text()).contains("endpoint=[2001:db8:0:0:0:0:0:7]:51820\npersistent_keepalive_interval=25\nreplace_allowed_ips=true\n");
        assertThat(peer.toString()).doesNotContain(psk.hex()).contains("keepalive=25");
        String config = WgToolDevice.configuration(List.of(peer)).text();
        assertThat(config).contains("Endpoint = [2001:db8:0:0:0:0:0:7]:51820\nPersistentKeepalive = 25\n");
    }

    @Test
    void aGatewaysPeerCarriesNeitherSoItsRequestIsUnchanged() {
        PeerConfig peer = new PeerConfig(gateway.publicKey(), psk, List.of("10.80.0.2/32"));

        assertThat(UapiDevice.setTransaction(PeerChanges.upsert(peer)).text()).doesNotContain("endpoint").doesNotContain("keepalive");
    }

    @Test
    void anUnresolvedEndpointOrAnOutOfRangeKeepaliveIsRefused() {
        assertThatThrownBy(() -> new PeerConfig(gateway.publicKey(), psk, List.of(),
                Optional.of(InetSocketAddress.createUnresolved("gw.example", 51820)), 25)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PeerConfig(gateway.publicKey(), psk, List.of(), Optional.empty(), 65_536))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
