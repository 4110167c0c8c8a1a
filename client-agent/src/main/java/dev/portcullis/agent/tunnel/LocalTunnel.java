package dev.portcullis.agent.tunnel;

import dev.portcullis.agent.api.TunnelApi.Gateway;
import dev.portcullis.agent.api.TunnelApi.Session;
import dev.portcullis.agent.outcome.AgentFailure;
import dev.portcullis.agent.outcome.ExitCode;
import dev.portcullis.pki.wireguard.PresharedKey;
import dev.portcullis.pki.wireguard.WireGuardPrivateKey;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import dev.portcullis.protocol.net.Cidr;
import dev.portcullis.protocol.wireguard.DeviceException;
import dev.portcullis.protocol.wireguard.PeerChanges;
import dev.portcullis.protocol.wireguard.PeerConfig;
import dev.portcullis.protocol.wireguard.PeerState;
import dev.portcullis.protocol.wireguard.UapiDevice;
import dev.portcullis.protocol.wireguard.WgToolDevice;
import dev.portcullis.protocol.wireguard.WireGuardDevice;
import dev.portcullis.protocol.wireguard.WireGuardInterfaces;
import dev.portcullis.protocol.wireguard.WireGuardInterfaces.Implementation;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The local WireGuard interface of one tunnel session, driven through the shared driver
 * ({@code dev.portcullis.protocol.wireguard}): created if absent (kernel module when available,
 * else wireguard-go), this device's key, one peer per gateway with the session's preshared key,
 * endpoint and keepalive, the session's address, MTU and routes. Applying a session to an
 * interface that already carries this device's key changes the peers in place (re-authentication:
 * the running WireGuard session is not dropped).
 * <p>
 * Every method may run in a network namespace ({@code ip netns}); {@code namespace == null} means
 * this process's own.
 */
public final class LocalTunnel {

    /** Keeps NAT mappings open and lets the gateways see the device is alive (the idle timeout). */
    public static final int KEEPALIVE_SECONDS = 25;
    /** WireGuard's usual MTU over a 1500-byte path, when core names none. */
    public static final int DEFAULT_MTU = 1420;
    /** Interface names: "pc-" and at most 12 characters (Linux allows 15). */
    static final String PREFIX = "pc-";
    private static final int SLUG_CHARS = 12;

    private LocalTunnel() {
    }

    /** {@code pc-<slug of the location>}, at most 15 characters; a long name gets a short hash so two stay apart. */
    public static String interfaceFor(String location) {
        String slug = location.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
        if (slug.length() > SLUG_CHARS) {
            slug = slug.substring(0, SLUG_CHARS - 4).replaceAll("-+$", "") + hash4(location);
        }
        return PREFIX + (slug.isEmpty() ? hash4(location) : slug);
    }

    private static String hash4(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)))
                    .substring(0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is a required algorithm", e);
        }
    }

    /** What {@link #apply} did. */
    public enum Applied {
        /** The interface was created for this session. */
        CREATED,
        /** The interface existed with this device's key; peers and keys were replaced in place. */
        UPDATED_IN_PLACE
    }

    /**
     * Configures {@code name} for {@code session}. Everything is checked (keys, CIDRs, endpoints)
     * before the interface is touched.
     */
    public static Applied apply(String name, String namespace, Implementation implementation, WireGuardPrivateKey deviceKey,
                                Session session) {
        List<PeerConfig> peers = peers(session);
        String address = Cidr.parseWithPrefixLength(session.address()).toString();
        int mtu = session.mtu() == null ? DEFAULT_MTU : session.mtu();
        List<String> routes = routes(session);
        try {
            boolean existed = exists(name, namespace);
            try (WireGuardDevice device = namespace == null ? WireGuardInterfaces.open(name, implementation)
                    : WireGuardInterfaces.open(name, implementation, namespace)) {
                boolean ours = device.info().publicKey().map(deviceKey.publicKey()::equals).orElse(false);
                if (!ours) {
                    // Listen port 0: the system picks one; this device only dials out.
                    device.configure(deviceKey, 0);
                }
                Set<WireGuardPublicKey> wanted = new HashSet<>();
                peers.forEach(peer -> wanted.add(peer.publicKey()));
                List<WireGuardPublicKey> stale = new ArrayList<>();
                for (PeerState present : device.peers()) {
                    if (!wanted.contains(present.publicKey())) {
                        stale.add(present.publicKey());
                    }
                }
                device.apply(new PeerChanges(peers, stale));
                if (namespace == null) {
                    WireGuardInterfaces.configureLink(name, List.of(address), mtu);
                    WireGuardInterfaces.replaceRoutes(name, routes);
                } else {
                    WireGuardInterfaces.configureLink(name, List.of(address), mtu, namespace);
                    WireGuardInterfaces.replaceRoutes(name, routes, namespace);
                }
                return existed && ours ? Applied.UPDATED_IN_PLACE : Applied.CREATED;
            }
        } catch (DeviceException e) {
            throw new AgentFailure(ExitCode.TUNNEL_DEVICE, "cannot set up WireGuard interface " + name + ": " + e.getMessage(), e);
        }
    }

    /** Removes the interface (a wireguard-go daemon exits with it). Nothing to do if it is absent. */
    public static void remove(String name, String namespace) {
        try {
            if (namespace == null) {
                WireGuardInterfaces.delete(name);
            } else {
                WireGuardInterfaces.delete(name, namespace);
            }
        } catch (DeviceException e) {
            throw new AgentFailure(ExitCode.TUNNEL_DEVICE, "cannot remove WireGuard interface " + name + ": " + e.getMessage(), e);
        }
    }

    public static boolean exists(String name, String namespace) throws DeviceException {
        return namespace == null ? WireGuardInterfaces.exists(name) : WireGuardInterfaces.exists(name, namespace);
    }

    /** The peers as the interface reports them (handshakes, counters), or empty when it is not up. */
    public static Optional<List<PeerState>> read(String name, String namespace) {
        try {
            if (!exists(name, namespace)) {
                return Optional.empty();
            }
            // The UAPI socket if a userspace daemon serves the interface, else the wg tool (kernel).
            UapiDevice userspace = new UapiDevice(name);
            if (java.nio.file.Files.exists(userspace.socket())) {
                try (userspace) {
                    return Optional.of(userspace.peers());
                } catch (DeviceException e) {
                    // fall through to wg
                }
            }
            if (namespace != null) {
                return Optional.empty();
            }
            try (WgToolDevice kernel = new WgToolDevice(name)) {
                return Optional.of(kernel.peers());
            }
        } catch (DeviceException e) {
            return Optional.empty();
        }
    }

    /**
     * One peer per gateway. WireGuard routes each allowed IP to exactly one peer of an interface,
     * so the first gateway carries the location's routes; the others are configured (key, endpoint,
     * keepalive: their handshakes stay warm) without routes.
     */
    static List<PeerConfig> peers(Session session) {
        byte[] psk = decode32(session.presharedKey(), "preshared key");
        try {
            PresharedKey key = PresharedKey.fromBytes(psk);
            List<String> allowed = session.allowedIps().stream().map(cidr -> Cidr.parseClearingHostBits(cidr).toString()).toList();
            List<PeerConfig> peers = new ArrayList<>();
            for (int i = 0; i < session.gateways().size(); i++) {
                Gateway gateway = session.gateways().get(i);
                WireGuardPublicKey publicKey;
                try {
                    publicKey = WireGuardPublicKey.fromBase64(gateway.publicKey());
                } catch (RuntimeException e) {
                    throw new AgentFailure(ExitCode.SERVER_REFUSED, "gateway " + safe(gateway.name()) + " has no valid public key");
                }
                peers.add(new PeerConfig(publicKey, key, i == 0 ? allowed : List.of(), Optional.of(resolve(gateway)), KEEPALIVE_SECONDS));
            }
            return peers;
        } catch (IllegalArgumentException e) {
            throw new AgentFailure(ExitCode.SERVER_REFUSED, "the session core sent is not usable: " + e.getMessage());
        } finally {
            Arrays.fill(psk, (byte) 0);
        }
    }

    /** Routes for the session's allowed IPs. A default route is left out: it would carry the tunnel's own packets. */
    static List<String> routes(Session session) {
        return session.allowedIps().stream().map(cidr -> Cidr.parseClearingHostBits(cidr))
                .filter(cidr -> cidr.prefixLength() > 0).map(Cidr::toString).toList();
    }

    /** Whether the session asks for a default route, which {@link #routes} leaves out. */
    public static boolean wantsDefaultRoute(Session session) {
        return session.allowedIps().stream().anyMatch(cidr -> Cidr.parseClearingHostBits(cidr).prefixLength() == 0);
    }

    /** {@code host:port}, {@code [v6]:port}; a name is resolved here, because WireGuard takes addresses. */
    static InetSocketAddress resolve(Gateway gateway) {
        String text = gateway.endpoint();
        String name = safe(gateway.name());
        if (text == null) {
            throw new AgentFailure(ExitCode.SERVER_REFUSED, "gateway " + name + " has no endpoint");
        }
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new AgentFailure(ExitCode.SERVER_REFUSED, "gateway " + name + " has a malformed endpoint");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 1 || port > 65_535 || !host.matches("[A-Za-z0-9.:-]{1,253}")) {
            throw new AgentFailure(ExitCode.SERVER_REFUSED, "gateway " + name + " has a malformed endpoint");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new AgentFailure(ExitCode.UNREACHABLE, "cannot resolve gateway " + name + " (" + host + "); check this device's DNS");
        }
    }

    static byte[] decode32(String base64, String what) {
        try {
            byte[] bytes = Base64.getDecoder().decode(base64 == null ? "" : base64);
            if (bytes.length != 32) {
                Arrays.fill(bytes, (byte) 0);
                throw new IllegalArgumentException("length");
            }
            return bytes;
        } catch (IllegalArgumentException e) {
            throw new AgentFailure(ExitCode.SERVER_REFUSED, "the session core sent has no valid " + what);
        }
    }

    private static String safe(String text) {
        return dev.portcullis.agent.terminal.Output.safe(text == null ? "?" : text);
    }
}
