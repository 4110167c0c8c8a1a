package dev.portcullis.protocol.wireguard;

import dev.portcullis.pki.wireguard.WireGuardPrivateKey;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import dev.portcullis.protocol.net.Cidr;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A WireGuard interface driven through the cross-platform configuration protocol (UAPI) on its
 * Unix socket, as served by wireguard-go and boringtun. Every operation opens its own connection,
 * sends one request and reads one strictly parsed reply ({@link UapiResponse}).
 * <p>
 * Thread safety: the object holds no state besides its immutable settings and a volatile closed
 * flag, so the admission and telemetry threads may call it at the same time; the daemon
 * serialises operations on the device itself.
 * <p>
 * Secrets: requests that carry keys are built in a byte array that is wiped after sending; keys
 * never become {@code String}s here and never appear in messages.
 */
public final class UapiDevice implements WireGuardDevice {

    /** Where wireguard-go and boringtun put their sockets. */
    public static final Path SOCKET_DIRECTORY = Path.of("/var/run/wireguard");

    /**
     * Connecting to a local socket is immediate when the daemon is alive; a daemon that has not
     * accepted within 2 s is hung, and the admission thread must not wait on it.
     */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);

    /**
     * Longest silence while waiting for a reply. wireguard-go answers a {@code set} only after
     * applying all of it; 10,000 peers take well under 2 s, so 10 s is ample and still bounds a
     * hung daemon.
     */
    static final Duration READ_TIMEOUT = Duration.ofSeconds(10);

    /**
     * Longest whole operation, however the bytes trickle in: stops a daemon that keeps the
     * connection alive one byte at a time from holding the gateway's threads.
     */
    static final Duration OPERATION_TIMEOUT = Duration.ofSeconds(60);

    private final String name;
    private final Path socket;
    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final Duration operationTimeout;
    private volatile boolean closed;

    /** The interface {@code name}'s socket in {@link #SOCKET_DIRECTORY}. */
    public UapiDevice(String name) {
        this(WireGuardInterfaces.checkName(name), SOCKET_DIRECTORY.resolve(name + ".sock"));
    }

    /** An interface whose UAPI socket lives elsewhere (a non-standard daemon, tests). */
    public UapiDevice(String name, Path socket) {
        this(name, socket, CONNECT_TIMEOUT, READ_TIMEOUT, OPERATION_TIMEOUT);
    }

    UapiDevice(String name, Path socket, Duration connectTimeout, Duration readTimeout, Duration operationTimeout) {
        this.name = Objects.requireNonNull(name, "name");
        this.socket = Objects.requireNonNull(socket, "socket");
        this.connectTimeout = connectTimeout;
        this.readTimeout = readTimeout;
        this.operationTimeout = operationTimeout;
    }

    @Override
    public String name() {
        return name;
    }

    public Path socket() {
        return socket;
    }

    @Override
    public void configure(WireGuardPrivateKey privateKey, int listenPort) throws DeviceException {
        Objects.requireNonNull(privateKey, "privateKey");
        checkPort(listenPort);
        Request request = new Request();
        try {
            request.line("set", "1");
            byte[] key = privateKey.bytes();
            try {
                request.hexLine("private_key", key);
            } finally {
                Arrays.fill(key, (byte) 0);
            }
            request.line("listen_port", Integer.toString(listenPort));
            request.end();
            exchangeSet(request);
        } finally {
            request.wipe();
        }
    }

    @Override
    public void apply(PeerChanges changes) throws DeviceException {
        Objects.requireNonNull(changes, "changes");
        if (changes.isEmpty()) {
            return;
        }
        Request request = setTransaction(changes);
        try {
            exchangeSet(request);
        } finally {
            request.wipe();
        }
    }

    /**
     * The one {@code set} transaction for {@code changes}. Rejects (before anything is sent) a peer
     * named twice and any allowed IP that is not a CIDR literal: text from core must never be able
     * to add lines to the request.
     */
    static Request setTransaction(PeerChanges changes) {
        Set<WireGuardPublicKey> named = new HashSet<>();
        for (PeerConfig peer : changes.upserts()) {
            if (!named.add(peer.publicKey())) {
                throw new IllegalArgumentException("peer " + peer.publicKey() + " appears twice in one change");
            }
            if (peer.allowedIps().size() > UapiResponse.MAX_ALLOWED_IPS_PER_PEER) {
                throw new IllegalArgumentException("too many allowed IPs for peer " + peer.publicKey());
            }
        }
        for (WireGuardPublicKey removal : changes.removals()) {
            if (!named.add(removal)) {
                throw new IllegalArgumentException("peer " + removal + " appears twice in one change");
            }
        }
        Request request = new Request();
        request.line("set", "1");
        for (PeerConfig peer : changes.upserts()) {
            List<String> allowed = peer.allowedIps().stream().map(cidr -> {
                try {
                    return Cidr.parseClearingHostBits(cidr).toString();
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("allowed IP of peer " + peer.publicKey() + " is not a CIDR");
                }
            }).toList();
            request.hexLine("public_key", peer.publicKey().bytes());
            byte[] psk = peer.presharedKey().bytes();
            try {
                request.hexLine("preshared_key", psk);
            } finally {
                Arrays.fill(psk, (byte) 0);
            }
            if (peer.endpoint().isPresent()) {
                request.line("endpoint", endpointText(peer.endpoint().get()));
            }
            if (peer.persistentKeepalive() > 0) {
                request.line("persistent_keepalive_interval", Integer.toString(peer.persistentKeepalive()));
            }
            request.line("replace_allowed_ips", "true");
            for (String cidr : allowed) {
                request.line("allowed_ip", cidr);
            }
        }
        for (WireGuardPublicKey removal : changes.removals()) {
            request.hexLine("public_key", removal.bytes());
            request.line("remove", "true");
        }
        request.end();
        return request;
    }

    @Override
    public List<PeerState> peers() throws DeviceException {
        return get().peers();
    }

    @Override
    public DeviceInfo info() throws DeviceException {
        UapiResponse.Device device = get();
        return new DeviceInfo(device.publicKey(), device.listenPort());
    }

    /** Reads the whole device; the reply (which holds the private key) is wiped after parsing. */
    UapiResponse.Device get() throws DeviceException {
        Request request = new Request();
        request.line("get", "1");
        request.end();
        Reply reply = exchange(request);
        try {
            return UapiResponse.parseGet(reply.bytes(), reply.length());
        } finally {
            Arrays.fill(reply.bytes(), (byte) 0);
        }
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public String toString() {
        return "UapiDevice[" + name + " at " + socket + "]";
    }

    /** {@code 192.0.2.1:51820} or {@code [2001:db8::1]:51820}: an address literal, never a name to resolve. */
    static String endpointText(java.net.InetSocketAddress endpoint) {
        java.net.InetAddress address = endpoint.getAddress();
        String host = address.getHostAddress();
        int scope = host.indexOf('%');
        if (scope >= 0) {
            host = host.substring(0, scope);
        }
        return (address instanceof java.net.Inet6Address ? "[" + host + "]" : host) + ":" + endpoint.getPort();
    }

    static void checkPort(int listenPort) {
        if (listenPort < 0 || listenPort > 65_535) {
            throw new IllegalArgumentException("listen port must be 0..65535");
        }
    }

    private void exchangeSet(Request request) throws DeviceException {
        Reply reply = exchange(request);
        try {
            UapiResponse.parseSet(reply.bytes(), reply.length());
        } finally {
            Arrays.fill(reply.bytes(), (byte) 0);
        }
    }

    /** The bytes read and how many of them are the reply. */
    private record Reply(byte[] bytes, int length) {
    }

    private Reply exchange(Request request) throws DeviceException {
        if (closed) {
            throw new DeviceException("device " + name + " is closed");
        }
        long deadline = System.nanoTime() + operationTimeout.toNanos();
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
             Selector selector = Selector.open()) {
            channel.configureBlocking(false);
            if (!channel.connect(UnixDomainSocketAddress.of(socket))) {
                channel.register(selector, SelectionKey.OP_CONNECT);
                if (selector.select(Math.max(1, connectTimeout.toMillis())) == 0) {
                    throw new DeviceException("device " + name + " did not accept a connection within "
                            + connectTimeout.toMillis() + " ms");
                }
                channel.finishConnect();
            }
            ByteBuffer out = ByteBuffer.wrap(request.bytes(), 0, request.length());
            SelectionKey key = channel.register(selector, SelectionKey.OP_WRITE);
            while (out.hasRemaining()) {
                if (channel.write(out) == 0) {
                    await(selector, deadline, "accept the request");
                }
            }
            key.interestOps(SelectionKey.OP_READ);
            byte[] buffer = new byte[4096];
            int length = 0;
            while (true) {
                if (length == buffer.length) {
                    if (length >= UapiResponse.MAX_RESPONSE_BYTES) {
                        Arrays.fill(buffer, (byte) 0);
                        throw new DeviceException("device " + name + " sent more than "
                                + UapiResponse.MAX_RESPONSE_BYTES + " bytes");
                    }
                    byte[] grown = Arrays.copyOf(buffer, Math.min(buffer.length * 2, UapiResponse.MAX_RESPONSE_BYTES));
                    Arrays.fill(buffer, (byte) 0);
                    buffer = grown;
                }
                int read = channel.read(ByteBuffer.wrap(buffer, length, buffer.length - length));
                if (read < 0) {
                    Arrays.fill(buffer, (byte) 0);
                    throw new DeviceException("device " + name + " closed the connection before a complete reply");
                }
                if (read == 0) {
                    await(selector, deadline, "reply");
                    continue;
                }
                int before = length;
                length += read;
                if (UapiResponse.terminator(buffer, before - 1, length) >= 0) {
                    return new Reply(buffer, length);
                }
            }
        } catch (IOException e) {
            throw new DeviceException("cannot talk to device " + name + " at " + socket + ": " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()), e);
        }
    }

    private void await(Selector selector, long deadline, String what) throws IOException, DeviceException {
        long remaining = deadline - System.nanoTime();
        long wait = Math.min(readTimeout.toMillis(), remaining / 1_000_000);
        if (wait <= 0 || selector.select(wait) == 0) {
            throw new DeviceException("device " + name + " did not " + what + " in time");
        }
        selector.selectedKeys().clear();
    }

    /** A request being built; wiped after use because it may hold keys. */
    static final class Request {
        private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
        private byte[] bytes = new byte[256];
        private int length;

        void line(String key, String value) {
            append(key.getBytes(StandardCharsets.US_ASCII));
            append((byte) '=');
            append(value.getBytes(StandardCharsets.US_ASCII));
            append((byte) '\n');
        }

        void hexLine(String key, byte[] value) {
            append(key.getBytes(StandardCharsets.US_ASCII));
            append((byte) '=');
            for (byte b : value) {
                append(HEX[(b >> 4) & 0xf]);
                append(HEX[b & 0xf]);
            }
            append((byte) '\n');
        }

        /** A line as given, e.g. a config-file section header. */
        void raw(String text) {
            append(text.getBytes(StandardCharsets.US_ASCII));
            append((byte) '\n');
        }

        /** {@code key = value} where value is ASCII bytes the caller wipes (e.g. a base64 key). */
        void asciiLine(String key, byte[] value) {
            append(key.getBytes(StandardCharsets.US_ASCII));
            append(" = ".getBytes(StandardCharsets.US_ASCII));
            append(value);
            append((byte) '\n');
        }

        /** Exactly the bytes built so far, as a new array the caller wipes. */
        byte[] copy() {
            return Arrays.copyOf(bytes, length);
        }

        void end() {
            append((byte) '\n');
        }

        byte[] bytes() {
            return bytes;
        }

        int length() {
            return length;
        }

        /** The request as text, for tests only: it may contain keys. */
        String text() {
            return new String(bytes, 0, length, StandardCharsets.US_ASCII);
        }

        void wipe() {
            Arrays.fill(bytes, (byte) 0);
            length = 0;
        }

        private void append(byte[] more) {
            for (byte b : more) {
                append(b);
            }
        }

        private void append(byte b) {
            if (length == bytes.length) {
                byte[] grown = Arrays.copyOf(bytes, bytes.length * 2);
                Arrays.fill(bytes, (byte) 0);
                bytes = grown;
            }
            bytes[length++] = b;
        }

        @Override
        public String toString() {
            return "Request[" + length + " bytes, <redacted>]";
        }
    }
}
