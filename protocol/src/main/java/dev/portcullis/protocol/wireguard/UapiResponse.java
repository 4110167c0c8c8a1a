package dev.portcullis.protocol.wireguard;

import dev.portcullis.pki.wireguard.WireGuardPrivateKey;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import dev.portcullis.protocol.net.Cidr;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Strict reader of replies in the cross-platform configuration protocol
 * (<a href="https://www.wireguard.com/xplatform/">xplatform</a>): {@code key=value} lines, then
 * {@code errno=N}, then an empty line. A reply that is malformed, oversized, truncated or simply
 * surprising is a {@link DeviceException}; nothing is ever half-applied to what the gateway
 * believes about the device.
 * <p>
 * Unknown keys: the protocol has grown keys before ({@code protocol_version}), so a
 * well-formed unknown {@code key=value} at <em>interface</em> level is ignored — the interface's
 * identity and port are all the gateway reads there. An unknown key inside a <em>peer</em> is
 * rejected: per-peer attributes decide what a peer may send, and the gateway must not claim to
 * know a peer's state when the device reports something it does not understand. A line without
 * {@code =} is always rejected.
 * <p>
 * Messages never contain values from the reply (keys, addresses): a reply carries the
 * interface's private key and every preshared key, and a hostile one could carry anything.
 */
final class UapiResponse {

    /**
     * Largest reply read. A {@code get} costs about 450 bytes per peer with two allowed IPs, so
     * {@link #MAX_PEERS} peers fit in about 30 MiB; 64 MiB leaves room for peers with more allowed
     * IPs while capping what a hung or hostile daemon can make the gateway buffer.
     */
    static final int MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

    /**
     * Longest line. The longest legitimate one is an IPv6 endpoint with zone and port (about 70
     * bytes) or a 64-digit hex key; 256 rejects garbage early without reading it as one "line".
     */
    static final int MAX_LINE_BYTES = 256;

    /** Most peers accepted: a gateway is designed for 10,000 sessions; this is over 6 times that. */
    static final int MAX_PEERS = 65_536;

    /**
     * Most allowed IPs per peer. A device has one or two host routes; a site peer a few dozen.
     * Anything near this bound is a bug or an attack, not a configuration.
     */
    static final int MAX_ALLOWED_IPS_PER_PEER = 1_024;

    /** Longest key name; real ones are under 32 characters. */
    private static final int MAX_KEY_LENGTH = 64;

    /** Hex digits of a 32-byte key. */
    private static final int KEY_HEX_LENGTH = 64;

    private static final Pattern KEY_NAME = Pattern.compile("[a-z][a-z0-9_]*");
    private static final Pattern ERRNO = Pattern.compile("-?(0|[1-9][0-9]{0,9})");

    /** What a {@code get} reports about the interface. */
    record Device(Optional<WireGuardPublicKey> publicKey, int listenPort, List<PeerState> peers) {
        Device {
            peers = List.copyOf(peers);
        }
    }

    private UapiResponse() {
    }

    /** Where the first empty line ends (exclusive), or -1 if the reply has none yet. */
    static int terminator(byte[] buffer, int from, int length) {
        for (int i = Math.max(from, 0); i < length; i++) {
            if (buffer[i] == '\n' && (i == 0 || buffer[i - 1] == '\n')) {
                return i + 1;
            }
        }
        return -1;
    }

    /** A {@code set} reply is exactly {@code errno=N} and an empty line. */
    static void parseSet(byte[] reply, int length) throws DeviceException {
        List<Line> lines = lines(reply, length);
        if (lines.size() != 1 || !"errno".equals(lines.get(0).key)) {
            throw rejected("unexpected lines in a set reply", 1);
        }
        checkErrno(lines.get(0), reply);
    }

    /** Reads a {@code get} reply. */
    static Device parseGet(byte[] reply, int length) throws DeviceException {
        List<Line> lines = lines(reply, length);
        Line errno = lines.get(lines.size() - 1);
        if (!"errno".equals(errno.key)) {
            throw rejected("reply does not end with errno", lines.size());
        }
        checkErrno(errno, reply);

        Optional<WireGuardPublicKey> publicKey = Optional.empty();
        Integer listenPort = null;
        Set<String> interfaceKeys = new HashSet<>();
        List<PeerState> peers = new ArrayList<>();
        Set<WireGuardPublicKey> seenPeers = new HashSet<>();
        PeerBuilder peer = null;
        for (int n = 0; n < lines.size() - 1; n++) {
            Line line = lines.get(n);
            int number = n + 1;
            if ("errno".equals(line.key)) {
                throw rejected("errno before the end of the reply", number);
            }
            if ("public_key".equals(line.key)) {
                if (peer != null) {
                    peers.add(peer.build());
                }
                if (peers.size() >= MAX_PEERS) {
                    throw rejected("more than " + MAX_PEERS + " peers", number);
                }
                WireGuardPublicKey key = WireGuardPublicKey.fromBytes(hexKey(line, reply, number));
                if (!seenPeers.add(key)) {
                    throw rejected("the same peer twice", number);
                }
                peer = new PeerBuilder(key);
                continue;
            }
            if (peer != null) {
                peer.accept(line, reply, number);
                continue;
            }
            if (!interfaceKeys.add(line.key) && isKnownInterfaceKey(line.key)) {
                throw rejected(line.key + " twice", number);
            }
            switch (line.key) {
                case "private_key" -> {
                    byte[] bytes = hexKey(line, reply, number);
                    try {
                        publicKey = Optional.of(WireGuardPrivateKey.fromBytes(bytes).publicKey());
                    } finally {
                        Arrays.fill(bytes, (byte) 0);
                    }
                }
                case "listen_port" -> listenPort = (int) number(line, reply, number, 65_535);
                case "fwmark" -> number(line, reply, number, 0xffff_ffffL);
                default -> {
                    // Well-formed unknown interface attribute: ignored (see class comment).
                }
            }
        }
        if (peer != null) {
            peers.add(peer.build());
        }
        if (listenPort == null) {
            throw rejected("reply has no listen_port", lines.size());
        }
        return new Device(publicKey, listenPort, peers);
    }

    private static boolean isKnownInterfaceKey(String key) {
        return key.equals("private_key") || key.equals("listen_port") || key.equals("fwmark");
    }

    /** One {@code key=value} line: the key as text, the value as a range of the reply (it may be secret). */
    private record Line(String key, int valueStart, int valueEnd) {
        int valueLength() {
            return valueEnd - valueStart;
        }
    }

    private static List<Line> lines(byte[] reply, int length) throws DeviceException {
        if (length > MAX_RESPONSE_BYTES) {
            throw new DeviceException("device reply larger than " + MAX_RESPONSE_BYTES + " bytes");
        }
        int end = terminator(reply, 0, length);
        if (end < 0) {
            throw new DeviceException("device reply truncated: no terminating empty line");
        }
        if (end != length) {
            throw new DeviceException("device reply has data after its terminating empty line");
        }
        List<Line> lines = new ArrayList<>();
        int start = 0;
        int number = 0;
        while (start < end - 1) { // end - 1 is the final empty line's '\n'
            number++;
            int newline = start;
            while (reply[newline] != '\n') {
                newline++;
            }
            int lineLength = newline - start;
            if (lineLength > MAX_LINE_BYTES) {
                throw rejected("line longer than " + MAX_LINE_BYTES + " bytes", number);
            }
            int equals = -1;
            for (int i = start; i < newline; i++) {
                byte b = reply[i];
                if (b < 0x21 || b > 0x7e) {
                    throw rejected("control, space or non-ASCII byte", number);
                }
                if (b == '=' && equals < 0) {
                    equals = i;
                }
            }
            if (equals < 0) {
                throw rejected("line without '='", number);
            }
            int keyLength = equals - start;
            String key = new String(reply, start, keyLength, StandardCharsets.US_ASCII);
            if (keyLength == 0 || keyLength > MAX_KEY_LENGTH || !KEY_NAME.matcher(key).matches()) {
                throw rejected("malformed key", number);
            }
            lines.add(new Line(key, equals + 1, newline));
            start = newline + 1;
        }
        if (lines.isEmpty()) {
            throw new DeviceException("device reply is empty: no errno");
        }
        return lines;
    }

    private static void checkErrno(Line line, byte[] reply) throws DeviceException {
        String value = text(line, reply);
        if (!ERRNO.matcher(value).matches()) {
            throw new DeviceException("device reply has a malformed errno");
        }
        long errno = Long.parseLong(value);
        if (errno != 0) {
            throw new DeviceException("device refused the operation: errno=" + errno + describe(errno));
        }
    }

    private static String describe(long errno) {
        // wireguard-go reports negative errno values, the kernel convention; boringtun positive.
        return switch ((int) Math.abs(errno)) {
            case 1 -> " (EPERM)";
            case 2 -> " (ENOENT)";
            case 5 -> " (EIO)";
            case 12 -> " (ENOMEM)";
            case 19 -> " (ENODEV)";
            case 22 -> " (EINVAL: the device did not accept the configuration)";
            case 71 -> " (EPROTO)";
            case 98 -> " (EADDRINUSE: listen port taken)";
            default -> "";
        };
    }

    private static String text(Line line, byte[] reply) {
        return new String(reply, line.valueStart, line.valueLength(), StandardCharsets.US_ASCII);
    }

    /** 32 bytes from exactly 64 lower-case hex digits; the caller owns (and should wipe) the array. */
    private static byte[] hexKey(Line line, byte[] reply, int number) throws DeviceException {
        if (line.valueLength() != KEY_HEX_LENGTH) {
            throw rejected(line.key + " is not 64 hex digits", number);
        }
        byte[] out = new byte[KEY_HEX_LENGTH / 2];
        for (int i = 0; i < out.length; i++) {
            int high = hexDigit(reply[line.valueStart + 2 * i]);
            int low = hexDigit(reply[line.valueStart + 2 * i + 1]);
            if (high < 0 || low < 0) {
                Arrays.fill(out, (byte) 0);
                throw rejected(line.key + " is not lower-case hex", number);
            }
            out[i] = (byte) (high << 4 | low);
        }
        return out;
    }

    private static int hexDigit(byte b) {
        if (b >= '0' && b <= '9') {
            return b - '0';
        }
        if (b >= 'a' && b <= 'f') {
            return b - 'a' + 10;
        }
        return -1;
    }

    /** A non-negative decimal of at most {@code max}; no sign, no leading zeros, no overflow. */
    private static long number(Line line, byte[] reply, int number, long max) throws DeviceException {
        return decimal(text(line, reply), max, () -> rejected(line.key + " is not a number in range", number));
    }

    interface Failure {
        DeviceException get();
    }

    static long decimal(String value, long max, Failure failure) throws DeviceException {
        if (value.isEmpty() || value.length() > 19 || (value.length() > 1 && value.charAt(0) == '0')) {
            throw failure.get();
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                throw failure.get();
            }
        }
        long parsed;
        try {
            parsed = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw failure.get();
        }
        if (parsed > max) {
            throw failure.get();
        }
        return parsed;
    }

    /**
     * {@code a.b.c.d:port} or {@code [v6]:port} or {@code [v6%zone]:port}. A zone is dropped: the
     * endpoint is telemetry, and resolving a zone name would consult this host's interfaces,
     * which are not necessarily the device's.
     */
    static InetSocketAddress endpoint(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException("not an endpoint");
        }
        String host = text.substring(0, colon);
        String portText = text.substring(colon + 1);
        long port;
        try {
            port = decimal(portText, 65_535, () -> new DeviceException("port"));
        } catch (DeviceException e) {
            throw new IllegalArgumentException("not an endpoint");
        }
        if (port == 0) {
            throw new IllegalArgumentException("not an endpoint");
        }
        InetAddress address;
        if (host.startsWith("[") && host.endsWith("]")) {
            String inner = host.substring(1, host.length() - 1);
            int percent = inner.indexOf('%');
            if (percent >= 0) {
                String zone = inner.substring(percent + 1);
                if (!zone.matches("[A-Za-z0-9_.-]{1,16}")) {
                    throw new IllegalArgumentException("not an endpoint");
                }
                inner = inner.substring(0, percent);
            }
            if (inner.indexOf(':') < 0) {
                throw new IllegalArgumentException("not an endpoint");
            }
            address = endpointAddress(inner);
        } else {
            if (host.indexOf(':') >= 0) {
                throw new IllegalArgumentException("not an endpoint"); // IPv6 must be bracketed
            }
            address = endpointAddress(host);
        }
        return new InetSocketAddress(address, (int) port);
    }

    private static final Pattern ENDPOINT_IPV4 = Pattern.compile("(0|[1-9][0-9]{0,2})(\\.(0|[1-9][0-9]{0,2})){3}");
    private static final Pattern ENDPOINT_IPV6 = Pattern.compile("[0-9a-fA-F:.]{2,45}");

    /**
     * Parses an endpoint's IPv4 dotted quad or IPv6 literal (no zone, no brackets). Never a host
     * name. Unlike an allowed IP, an endpoint may be written as {@code ::ffff:a.b.c.d}.
     */
    static InetAddress endpointAddress(String text) {
        if (ENDPOINT_IPV4.matcher(text).matches()) {
            String[] parts = text.split("\\.");
            byte[] bytes = new byte[4];
            for (int i = 0; i < 4; i++) {
                int octet = Integer.parseInt(parts[i]);
                if (octet > 255) {
                    throw new IllegalArgumentException("not an IP address");
                }
                bytes[i] = (byte) octet;
            }
            try {
                return InetAddress.getByAddress(bytes);
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("not an IP address");
            }
        }
        // Only an IPv6 literal can contain ':'; InetAddress parses it without any lookup.
        if (text.indexOf(':') >= 0 && ENDPOINT_IPV6.matcher(text).matches()) {
            try {
                InetAddress parsed = InetAddress.getByName(text);
                // "::ffff:a.b.c.d" comes back as IPv4; keep the family that was written.
                return parsed instanceof Inet6Address ? parsed : Inet6Address.getByAddress(null, mapped(parsed), -1);
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("not an IP address");
            }
        }
        throw new IllegalArgumentException("not an IP address");
    }

    private static byte[] mapped(InetAddress v4) {
        byte[] out = new byte[16];
        out[10] = (byte) 0xff;
        out[11] = (byte) 0xff;
        System.arraycopy(v4.getAddress(), 0, out, 12, 4);
        return out;
    }

    private static DeviceException rejected(String why, int lineNumber) {
        return new DeviceException("device reply rejected: " + why + " (line " + lineNumber + ")");
    }

    /** Collects one peer's lines; every attribute at most once. */
    private static final class PeerBuilder {
        private final WireGuardPublicKey publicKey;
        private final Set<String> seen = new HashSet<>();
        private final Set<String> allowedIps = new LinkedHashSet<>();
        private boolean hasPresharedKey;
        private InetSocketAddress endpoint;
        private long handshakeSeconds;
        private long handshakeNanos;
        private long rxBytes;
        private long txBytes;

        PeerBuilder(WireGuardPublicKey publicKey) {
            this.publicKey = publicKey;
        }

        void accept(Line line, byte[] reply, int number) throws DeviceException {
            if (!"allowed_ip".equals(line.key) && !seen.add(line.key)) {
                throw rejected(line.key + " twice for one peer", number);
            }
            switch (line.key) {
                case "preshared_key" -> {
                    byte[] key = hexKey(line, reply, number);
                    int any = 0;
                    for (byte b : key) {
                        any |= b;
                    }
                    Arrays.fill(key, (byte) 0);
                    hasPresharedKey = any != 0;
                }
                case "protocol_version" -> {
                    if (number(line, reply, number, Long.MAX_VALUE) != 1) {
                        throw rejected("unsupported protocol_version", number);
                    }
                }
                case "endpoint" -> {
                    try {
                        endpoint = endpoint(text(line, reply));
                    } catch (IllegalArgumentException e) {
                        throw rejected("endpoint is not an address and port", number);
                    }
                }
                case "last_handshake_time_sec" -> handshakeSeconds = number(line, reply, number, Long.MAX_VALUE);
                case "last_handshake_time_nsec" -> handshakeNanos = number(line, reply, number, 999_999_999);
                case "tx_bytes" -> txBytes = number(line, reply, number, Long.MAX_VALUE);
                case "rx_bytes" -> rxBytes = number(line, reply, number, Long.MAX_VALUE);
                case "persistent_keepalive_interval" -> number(line, reply, number, 65_535);
                case "allowed_ip" -> {
                    if (allowedIps.size() >= MAX_ALLOWED_IPS_PER_PEER) {
                        throw rejected("more than " + MAX_ALLOWED_IPS_PER_PEER + " allowed IPs for one peer", number);
                    }
                    String cidr;
                    try {
                        cidr = Cidr.parseClearingHostBits(text(line, reply)).toString();
                    } catch (IllegalArgumentException e) {
                        throw rejected("allowed_ip is not a CIDR", number);
                    }
                    if (!allowedIps.add(cidr)) {
                        throw rejected("the same allowed_ip twice for one peer", number);
                    }
                }
                default -> throw rejected("unknown peer attribute " + line.key, number);
            }
        }

        PeerState build() throws DeviceException {
            Optional<Instant> handshake = Optional.empty();
            if (handshakeSeconds != 0 || handshakeNanos != 0) {
                try {
                    handshake = Optional.of(Instant.ofEpochSecond(handshakeSeconds, handshakeNanos));
                } catch (DateTimeException | ArithmeticException e) {
                    throw new DeviceException("device reply rejected: handshake time out of range");
                }
            }
            return new PeerState(publicKey, hasPresharedKey, List.copyOf(allowedIps), Optional.ofNullable(endpoint),
                    handshake, rxBytes, txBytes);
        }
    }
}
