package dev.portcullis.protocol.wireguard;

import dev.portcullis.pki.wireguard.PresharedKey;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A peer as the owner of the interface wants it on the device: on a gateway a device (no endpoint,
 * the device dials in), on a client agent a gateway (endpoint and keepalive set). {@code toString}
 * never shows the preshared key.
 *
 * @param publicKey           the peer's public key
 * @param presharedKey        the session's preshared key
 * @param allowedIps          CIDRs (canonical text, e.g. {@code 10.80.0.2/32}); replaces the peer's current ones
 * @param endpoint            where to send handshakes (a resolved address); empty leaves the device's as it is
 * @param persistentKeepalive seconds between keepalives (1..65535); 0 leaves the device's setting as it is
 */
public record PeerConfig(WireGuardPublicKey publicKey, PresharedKey presharedKey, List<String> allowedIps,
                         Optional<InetSocketAddress> endpoint, int persistentKeepalive) {

    /** The most the protocol's 16-bit field holds. */
    public static final int MAX_KEEPALIVE_SECONDS = 65_535;

    public PeerConfig {
        Objects.requireNonNull(publicKey, "publicKey");
        Objects.requireNonNull(presharedKey, "presharedKey");
        allowedIps = List.copyOf(allowedIps);
        Objects.requireNonNull(endpoint, "endpoint");
        endpoint.ifPresent(address -> {
            if (address.isUnresolved() || address.getPort() == 0) {
                throw new IllegalArgumentException("a peer endpoint must be a resolved address with a port");
            }
        });
        if (persistentKeepalive < 0 || persistentKeepalive > MAX_KEEPALIVE_SECONDS) {
            throw new IllegalArgumentException("persistent keepalive must be 0.." + MAX_KEEPALIVE_SECONDS + " s");
        }
    }

    /** A peer that dials in (a gateway's view of a device): no endpoint, no keepalive. */
    public PeerConfig(WireGuardPublicKey publicKey, PresharedKey presharedKey, List<String> allowedIps) {
        this(publicKey, presharedKey, allowedIps, Optional.empty(), 0);
    }

    @Override
    public String toString() {
        return "PeerConfig[" + publicKey + ", allowedIps=" + allowedIps + endpoint.map(e -> ", endpoint=" + e).orElse("")
                + (persistentKeepalive == 0 ? "" : ", keepalive=" + persistentKeepalive) + ", psk=<redacted>]";
    }
}
