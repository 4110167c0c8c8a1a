package dev.portcullis.protocol.wireguard;

import dev.portcullis.pki.wireguard.WireGuardPrivateKey;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import dev.portcullis.protocol.net.Cidr;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A WireGuard interface driven through the {@code wg} tool: the kernel module's path (netlink),
 * and also any userspace interface, since {@code wg} speaks UAPI to those.
 * <p>
 * Keys never go on the command line (argv is world-readable in {@code /proc}): the private key
 * goes in on stdin ({@code private-key /dev/stdin}) and peers with their preshared keys as a
 * configuration on stdin to {@code wg addconf}, which replaces each listed peer's allowed IPs.
 * <p>
 * Transactions: {@code wg} has no single operation that both removes and adds peers, so
 * {@link #apply} runs removals first ({@code wg set … peer K remove}), then upserts
 * ({@code wg addconf}). If the second step fails the device has lost peers rather than gained
 * them: it fails closed, and the caller's reconciliation adds them again.
 * <p>
 * Thread safety: stateless besides immutable settings; the kernel serialises netlink changes.
 */
public final class WgToolDevice implements WireGuardDevice {

    /**
     * Removals per {@code wg set}: about 60 bytes of argv each, so 1,000 stay far under the
     * kernel's per-exec argument limit (2 MiB total, 128 KiB per string).
     */
    static final int REMOVALS_PER_COMMAND = 1_000;

    private final String name;
    private final HostCommand commands;

    /** The interface {@code name} in this process's network namespace. */
    public WgToolDevice(String name) {
        this(name, HostCommand.here());
    }

    WgToolDevice(String name, HostCommand commands) {
        this.name = WireGuardInterfaces.checkName(name);
        this.commands = Objects.requireNonNull(commands, "commands");
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void configure(WireGuardPrivateKey privateKey, int listenPort) throws DeviceException {
        Objects.requireNonNull(privateKey, "privateKey");
        UapiDevice.checkPort(listenPort);
        byte[] key = privateKey.bytes();
        byte[] stdin = Base64.getEncoder().encode(key);
        Arrays.fill(key, (byte) 0);
        try {
            HostCommand.Result result = commands.run("wg",
                    List.of("set", name, "listen-port", Integer.toString(listenPort), "private-key", "/dev/stdin"),
                    stdin, 64 * 1024);
            HostCommand.require(result, "wg set " + name).wipe();
        } finally {
            Arrays.fill(stdin, (byte) 0);
        }
    }

    @Override
    public void apply(PeerChanges changes) throws DeviceException {
        Objects.requireNonNull(changes, "changes");
        if (changes.isEmpty()) {
            return;
        }
        // Validate everything (duplicates, CIDRs) before changing anything.
        UapiDevice.setTransaction(changes).wipe();

        List<WireGuardPublicKey> removals = changes.removals();
        for (int from = 0; from < removals.size(); from += REMOVALS_PER_COMMAND) {
            List<String> arguments = new ArrayList<>(List.of("set", name));
            for (WireGuardPublicKey peer : removals.subList(from, Math.min(removals.size(), from + REMOVALS_PER_COMMAND))) {
                arguments.addAll(List.of("peer", peer.base64(), "remove"));
            }
            HostCommand.require(commands.run("wg", arguments, null, 64 * 1024), "wg set " + name + " (remove peers)")
                    .wipe();
        }
        if (changes.upserts().isEmpty()) {
            return;
        }
        UapiDevice.Request config = configuration(changes.upserts());
        byte[] stdin = config.copy();
        config.wipe();
        try {
            HostCommand.require(commands.run("wg", List.of("addconf", name, "/dev/stdin"), stdin, 64 * 1024),
                    "wg addconf " + name).wipe();
        } finally {
            Arrays.fill(stdin, (byte) 0);
        }
    }

    /** The wg-quick style configuration for the upserts; holds preshared keys, so wipe it. */
    static UapiDevice.Request configuration(List<PeerConfig> upserts) {
        UapiDevice.Request config = new UapiDevice.Request();
        Set<WireGuardPublicKey> seen = new HashSet<>();
        for (PeerConfig peer : upserts) {
            if (!seen.add(peer.publicKey())) {
                throw new IllegalArgumentException("peer " + peer.publicKey() + " appears twice in one change");
            }
            config.raw("[Peer]");
            config.raw("PublicKey = " + peer.publicKey().base64());
            byte[] psk = peer.presharedKey().bytes();
            byte[] encoded = Base64.getEncoder().encode(psk);
            Arrays.fill(psk, (byte) 0);
            config.asciiLine("PresharedKey", encoded);
            Arrays.fill(encoded, (byte) 0);
            if (peer.endpoint().isPresent()) {
                config.raw("Endpoint = " + UapiDevice.endpointText(peer.endpoint().get()));
            }
            if (peer.persistentKeepalive() > 0) {
                config.raw("PersistentKeepalive = " + peer.persistentKeepalive());
            }
            // A [Peer] section without AllowedIPs leaves the peer with none: wg replaces them.
            if (!peer.allowedIps().isEmpty()) {
                List<String> canonical = peer.allowedIps().stream()
                        .map(cidr -> Cidr.parseClearingHostBits(cidr).toString()).toList();
                config.raw("AllowedIPs = " + String.join(", ", canonical));
            }
        }
        return config;
    }

    @Override
    public List<PeerState> peers() throws DeviceException {
        return show().peers();
    }

    @Override
    public DeviceInfo info() throws DeviceException {
        UapiResponse.Device device = show();
        return new DeviceInfo(device.publicKey(), device.listenPort());
    }

    private UapiResponse.Device show() throws DeviceException {
        HostCommand.Result result = HostCommand.require(
                commands.run("wg", List.of("show", name, "dump"), null, UapiResponse.MAX_RESPONSE_BYTES),
                "wg show " + name);
        try {
            return WgDump.parse(result.stdout());
        } finally {
            result.wipe();
        }
    }

    @Override
    public void close() {
        // Nothing held: every operation is its own process.
    }

    @Override
    public String toString() {
        return "WgToolDevice[" + name + commands.namespace().map(ns -> " in " + ns).orElse("") + "]";
    }
}
