package dev.portcullis.core.component;

import dev.portcullis.core.link.ComponentRecord;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import java.time.Instant;
import java.util.Optional;

/**
 * A registered component as the admin sees it.
 *
 * @param id            core-assigned lower-case UUID
 * @param name          unique among components that were not removed
 * @param role          EDGE_PROXY or GATEWAY
 * @param address       where core dials it
 * @param state         PENDING until it joined, then ADOPTED; REMOVED once revoked
 * @param settings      what core pushes to it
 * @param configVersion version of those settings; bumped by every change
 * @param createdAt     when it was registered
 * @param adoptedAt     when it first joined
 * @param wireguard     gateways: the WireGuard interface it last reported (Hello), if it ever connected
 */
public record Component(String id, String name, PeerIdentity.Role role, ComponentAddress address, ComponentState state,
                        ComponentSettings settings, long configVersion, Instant createdAt, Optional<Instant> adoptedAt,
                        Optional<WireGuard> wireguard) {

    /**
     * A gateway's WireGuard interface as it reported it: the public half of the key it generated
     * (the private half never leaves it) and its UDP port (0 if it did not say).
     */
    public record WireGuard(WireGuardPublicKey publicKey, int listenPort, Instant reportedAt) {
    }

    /** The link supervisor's view of this component. */
    public ComponentRecord record() {
        return new ComponentRecord(id, name, role, address.host(), address.port(), state == ComponentState.ADOPTED);
    }

    /** The role's name on the wire and in the admin API: {@code edge-proxy} or {@code gateway}. */
    public static String roleName(PeerIdentity.Role role) {
        return role.urnName();
    }
}
