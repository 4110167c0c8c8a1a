package dev.portcullis.protocol.wireguard;

import dev.portcullis.pki.wireguard.WireGuardPrivateKey;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import java.util.List;

/**
 * The one seam between the gateway and a WireGuard interface. Implementations: the standard
 * cross-platform configuration protocol (UAPI) over {@code /var/run/wireguard/<iface>.sock}
 * (wireguard-go, boringtun), and the {@code wg} tool (kernel module, via netlink), plus a fake
 * in tests. Every method returns only once the device reflects the change, or throws.
 */
public interface WireGuardDevice extends AutoCloseable {

    /** Interface name, e.g. {@code pcgw0}. */
    String name();

    /** Sets the interface's private key and UDP listen port; peers are left as they are. */
    void configure(WireGuardPrivateKey privateKey, int listenPort) throws DeviceException;

    /**
     * Applies upserts and removals as one device transaction. An upsert sets the peer's preshared
     * key and replaces its allowed IPs; a peer whose configuration is unchanged should not be
     * passed (re-setting it is harmless but needless).
     */
    void apply(PeerChanges changes) throws DeviceException;

    /** What the device has now: every peer with its endpoint, handshake and counters. */
    List<PeerState> peers() throws DeviceException;

    /** The interface's public key (none on a fresh interface) and listen port as the device reports them. */
    DeviceInfo info() throws DeviceException;

    /** Releases the connection to the device. Does not delete the interface. */
    @Override
    void close();

    /** What {@link #info()} returns. */
    record DeviceInfo(java.util.Optional<WireGuardPublicKey> publicKey, int listenPort) {
    }
}
