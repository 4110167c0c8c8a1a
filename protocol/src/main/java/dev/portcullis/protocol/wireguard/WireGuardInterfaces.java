package dev.portcullis.protocol.wireguard;

import dev.portcullis.protocol.net.Cidr;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Creates, attaches to and removes WireGuard interfaces on this host. Opening an interface that
 * already exists attaches to it without touching its keys or peers, so a gateway restart does not
 * interrupt a single tunnel. Userspace interfaces are {@code wireguard-go} daemons that outlive
 * the gateway process on purpose, for the same reason.
 * <p>
 * Every method has a variant taking a network namespace (as {@code ip netns} names it): the tools
 * then run through {@code ip netns exec}. The UAPI socket lives on the shared file system, so
 * interface names must be unique across namespaces when userspace interfaces are used.
 */
public final class WireGuardInterfaces {

    /** Which WireGuard implementation backs the interface. */
    public enum Implementation {
        /** The kernel module if {@code ip link add … type wireguard} works here, else wireguard-go. */
        AUTO,
        /** wireguard-go, configured over its UAPI socket. */
        USERSPACE,
        /** The kernel module, configured with {@code wg}. */
        KERNEL
    }

    /**
     * How long a freshly started wireguard-go may take to answer on its socket. It creates the
     * TUN device and the socket before it daemonizes, so this is normally a few milliseconds;
     * 5 s covers a loaded host without leaving the gateway waiting on a daemon that failed.
     */
    static final Duration USERSPACE_START_TIMEOUT = Duration.ofSeconds(5);

    /** Between probes of a starting daemon's socket: short, the start is normally immediate. */
    private static final Duration PROBE_INTERVAL = Duration.ofMillis(20);

    /** Linux interface names: at most 15 bytes (IFNAMSIZ - 1); also a file name for the socket. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}");

    /** MTU bounds: IPv4's minimum datagram size up to jumbo frames. */
    private static final int MIN_MTU = 576;
    private static final int MAX_MTU = 9_000;

    private WireGuardInterfaces() {
    }

    /** Opens (creating if needed) interface {@code name} in this process's network namespace. */
    public static WireGuardDevice open(String name, Implementation implementation) throws DeviceException {
        return open(name, implementation, HostCommand.here());
    }

    /** Opens (creating if needed) interface {@code name} in network namespace {@code namespace}. */
    public static WireGuardDevice open(String name, Implementation implementation, String namespace)
            throws DeviceException {
        return open(name, implementation, HostCommand.inNamespace(namespace));
    }

    /**
     * Gives the interface its addresses (CIDR with host bits, e.g. {@code 10.80.0.1/24}; added or
     * replaced, others left alone) and MTU, and brings it up. Idempotent.
     */
    public static void configureLink(String name, List<String> addressCidrs, int mtu) throws DeviceException {
        configureLink(name, addressCidrs, mtu, HostCommand.here());
    }

    public static void configureLink(String name, List<String> addressCidrs, int mtu, String namespace)
            throws DeviceException {
        configureLink(name, addressCidrs, mtu, HostCommand.inNamespace(namespace));
    }

    /** Removes the interface (a wireguard-go daemon exits with it). Nothing to do if it is absent. */
    public static void delete(String name) throws DeviceException {
        delete(name, HostCommand.here());
    }

    public static void delete(String name, String namespace) throws DeviceException {
        delete(name, HostCommand.inNamespace(namespace));
    }

    /**
     * Routes each CIDR (host bits cleared) through the interface with {@code ip route replace}:
     * added, or moved here from wherever it pointed. Idempotent.
     */
    public static void replaceRoutes(String name, List<String> cidrs) throws DeviceException {
        replaceRoutes(name, cidrs, HostCommand.here());
    }

    public static void replaceRoutes(String name, List<String> cidrs, String namespace) throws DeviceException {
        replaceRoutes(name, cidrs, HostCommand.inNamespace(namespace));
    }

    /** Whether an interface of this name exists (of any kind) in this process's network namespace. */
    public static boolean exists(String name) throws DeviceException {
        return linkKind(checkName(name), HostCommand.here()) != LinkKind.ABSENT;
    }

    public static boolean exists(String name, String namespace) throws DeviceException {
        return linkKind(checkName(name), HostCommand.inNamespace(namespace)) != LinkKind.ABSENT;
    }

    /**
     * Checks an interface name: 1-15 characters of {@code A-Z a-z 0-9 _ . -}, not starting with
     * {@code .} or {@code -}. Returns it; throws {@link IllegalArgumentException} otherwise.
     */
    public static String checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("interface names are 1-15 characters of A-Z a-z 0-9 _ . -");
        }
        return name;
    }

    private static WireGuardDevice open(String name, Implementation implementation, HostCommand commands)
            throws DeviceException {
        checkName(name);
        UapiDevice userspace = new UapiDevice(name);
        LinkKind existing = linkKind(name, commands);
        switch (implementation) {
            case USERSPACE -> {
                if (existing == LinkKind.WIREGUARD) {
                    throw new DeviceException("interface " + name + " is a kernel WireGuard interface, not userspace");
                }
                if (existing == LinkKind.TUN && answers(userspace)) {
                    return userspace;
                }
                if (existing != LinkKind.ABSENT) {
                    throw new DeviceException("interface " + name + " exists but no wireguard-go answers for it; "
                            + "delete it or choose another name");
                }
                return startUserspace(name, commands, userspace);
            }
            case KERNEL -> {
                return openKernel(name, commands, existing);
            }
            case AUTO -> {
                if (existing == LinkKind.TUN && answers(userspace)) {
                    return userspace;
                }
                if (existing == LinkKind.WIREGUARD) {
                    return new WgToolDevice(name, commands);
                }
                if (existing != LinkKind.ABSENT) {
                    throw new DeviceException("interface " + name + " exists and is not a WireGuard interface");
                }
                // The probe for the kernel module is the creation itself.
                HostCommand.Result added = commands.run("ip", List.of("link", "add", name, "type", "wireguard"));
                if (added.ok()) {
                    return new WgToolDevice(name, commands);
                }
                return startUserspace(name, commands, userspace);
            }
            default -> throw new IllegalArgumentException("unknown implementation");
        }
    }

    private static WireGuardDevice openKernel(String name, HostCommand commands, LinkKind existing)
            throws DeviceException {
        if (existing == LinkKind.WIREGUARD) {
            return new WgToolDevice(name, commands);
        }
        if (existing != LinkKind.ABSENT) {
            throw new DeviceException("interface " + name + " exists and is not a kernel WireGuard interface");
        }
        HostCommand.Result added = commands.run("ip", List.of("link", "add", name, "type", "wireguard"));
        if (!added.ok()) {
            throw new DeviceException("cannot create kernel WireGuard interface " + name
                    + " (is the wireguard module available? use the userspace implementation otherwise): "
                    + added.stderr());
        }
        return new WgToolDevice(name, commands);
    }

    private static UapiDevice startUserspace(String name, HostCommand commands, UapiDevice device)
            throws DeviceException {
        Path socket = device.socket();
        try {
            // A socket file with no daemon behind it (the daemon was killed): wireguard-go would
            // remove it too, but only after we'd have mistaken it for a live one.
            if (Files.exists(socket)) {
                if (answers(device)) {
                    throw new DeviceException("a wireguard-go for " + name + " already answers on " + socket
                            + " but its interface is not in this network namespace; choose another name");
                }
                Files.deleteIfExists(socket);
            }
        } catch (IOException e) {
            throw new DeviceException("cannot remove stale socket " + socket, e);
        }
        List<String> line = commands.commandLine("wireguard-go", List.of(name));
        Path log;
        Process process;
        try {
            // Output to a file, not a pipe: the daemon must never block on, or hold, our pipes.
            log = Files.createTempFile("wireguard-go-" + name, ".log");
            ProcessBuilder builder = new ProcessBuilder(line).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            Map<String, String> environment = builder.environment();
            environment.remove("WG_PROCESS_FOREGROUND");
            // Older wireguard-go releases refuse to start on Linux without this; we chose it on purpose.
            environment.put("WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD", "1");
            process = builder.start();
        } catch (IOException e) {
            throw new DeviceException("cannot start wireguard-go: " + e.getMessage(), e);
        }
        try {
            long deadline = System.nanoTime() + USERSPACE_START_TIMEOUT.toNanos();
            if (!process.waitFor(USERSPACE_START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new DeviceException("wireguard-go " + name + " did not daemonize within "
                        + USERSPACE_START_TIMEOUT.toSeconds() + " s");
            }
            if (process.exitValue() != 0) {
                throw new DeviceException("wireguard-go " + name + " failed (exit " + process.exitValue() + "): "
                        + tail(log));
            }
            while (!answers(device)) {
                if (System.nanoTime() > deadline) {
                    throw new DeviceException("wireguard-go " + name + " started but its socket " + socket
                            + " did not answer within " + USERSPACE_START_TIMEOUT.toSeconds() + " s");
                }
                Thread.sleep(PROBE_INTERVAL.toMillis());
            }
            return device;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DeviceException("interrupted while starting wireguard-go " + name, e);
        } finally {
            try {
                Files.deleteIfExists(log);
            } catch (IOException e) {
                // A leftover log in the temporary directory holds no secrets.
            }
        }
    }

    private static String tail(Path log) {
        try {
            String text = Files.readString(log).strip().replaceAll("\\p{Cntrl}", " ");
            return text.length() > 300 ? "…" + text.substring(text.length() - 300) : text;
        } catch (IOException e) {
            return "(no output)";
        }
    }

    /** Whether a daemon answers a {@code get} on the interface's socket with a well-formed reply. */
    private static boolean answers(UapiDevice device) {
        if (!Files.exists(device.socket())) {
            return false;
        }
        try {
            device.get();
            return true;
        } catch (DeviceException e) {
            return false;
        }
    }

    private enum LinkKind { ABSENT, WIREGUARD, TUN, OTHER }

    private static LinkKind linkKind(String name, HostCommand commands) throws DeviceException {
        HostCommand.Result result = commands.run("ip", List.of("-details", "link", "show", "dev", name));
        try {
            if (!result.ok()) {
                if (result.stderr().contains("does not exist")) {
                    return LinkKind.ABSENT;
                }
                throw new DeviceException("ip link show " + name + " failed: " + result.stderr());
            }
            String details = result.stdoutText();
            if (details.contains("\n    wireguard") || details.contains(" wireguard ")) {
                return LinkKind.WIREGUARD;
            }
            if (details.contains("\n    tun ")) {
                return LinkKind.TUN;
            }
            return LinkKind.OTHER;
        } finally {
            result.wipe();
        }
    }

    private static void configureLink(String name, List<String> addressCidrs, int mtu, HostCommand commands)
            throws DeviceException {
        checkName(name);
        if (mtu < MIN_MTU || mtu > MAX_MTU) {
            throw new IllegalArgumentException("MTU must be " + MIN_MTU + ".." + MAX_MTU);
        }
        for (String cidr : addressCidrs) {
            String address = Cidr.parseWithPrefixLength(cidr).toString(); // host bits kept
            HostCommand.require(commands.run("ip", List.of("address", "replace", address, "dev", name)),
                    "ip address replace " + address + " dev " + name);
        }
        HostCommand.require(commands.run("ip", List.of("link", "set", "dev", name, "mtu", Integer.toString(mtu), "up")),
                "ip link set " + name + " up");
    }

    private static void replaceRoutes(String name, List<String> cidrs, HostCommand commands) throws DeviceException {
        checkName(name);
        for (String cidr : cidrs) {
            String route = Cidr.parseClearingHostBits(cidr).toString();
            HostCommand.require(commands.run("ip", List.of("route", "replace", route, "dev", name)),
                    "ip route replace " + route + " dev " + name);
        }
    }

    private static void delete(String name, HostCommand commands) throws DeviceException {
        checkName(name);
        if (linkKind(name, commands) == LinkKind.ABSENT) {
            return;
        }
        HostCommand.require(commands.run("ip", List.of("link", "delete", "dev", name)), "ip link delete " + name);
    }
}
