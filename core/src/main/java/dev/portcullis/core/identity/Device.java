package dev.portcullis.core.identity;

import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import java.time.Instant;
import java.util.Map;

/**
 * A user's device.
 *
 * @param publicKey the public half of the WireGuard key the device (or browser) generated
 * @param addresses the device's tunnel address at each location (host CIDR, e.g. 10.8.0.2/32)
 */
public record Device(String id, String user, String name, DeviceKind kind, WireGuardPublicKey publicKey, DeviceState state,
                     Instant createdAt, Map<String, String> addresses) {

    public Device {
        addresses = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(addresses));
    }
}
