package dev.portcullis.gateway.wireguard;

import dev.portcullis.pki.wireguard.PresharedKey;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import java.util.List;
import java.util.Objects;

/**
 * A peer as the gateway wants it on the device. {@code toString} never shows the preshared key.
 *
 * @param publicKey    the device's public key
 * @param presharedKey the session's preshared key
 * @param allowedIps   CIDRs (canonical text, e.g. {@code 10.80.0.2/32}); replaces the peer's current ones
 */
public record PeerConfig(WireGuardPublicKey publicKey, PresharedKey presharedKey, List<String> allowedIps) {

    public PeerConfig {
        Objects.requireNonNull(publicKey, "publicKey");
        Objects.requireNonNull(presharedKey, "presharedKey");
        allowedIps = List.copyOf(allowedIps);
    }

    @Override
    public String toString() {
        return "PeerConfig[" + publicKey + ", allowedIps=" + allowedIps + ", psk=<redacted>]";
    }
}
