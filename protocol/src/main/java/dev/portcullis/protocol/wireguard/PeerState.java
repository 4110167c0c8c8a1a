package dev.portcullis.protocol.wireguard;

import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A peer as the device reports it.
 *
 * @param publicKey       the peer's public key
 * @param hasPresharedKey whether a (non-zero) preshared key is set; the key itself is never read back out
 * @param allowedIps      CIDRs in canonical text
 * @param endpoint        where the device last saw the peer, if ever
 * @param lastHandshake   time of the last completed handshake, if any
 * @param rxBytes         bytes received from the peer
 * @param txBytes         bytes sent to the peer
 */
public record PeerState(WireGuardPublicKey publicKey, boolean hasPresharedKey, List<String> allowedIps,
                        Optional<InetSocketAddress> endpoint, Optional<Instant> lastHandshake, long rxBytes,
                        long txBytes) {

    public PeerState {
        allowedIps = List.copyOf(allowedIps);
    }
}
