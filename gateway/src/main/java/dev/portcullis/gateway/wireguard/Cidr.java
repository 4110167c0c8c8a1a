package dev.portcullis.gateway.wireguard;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * An IP prefix in literal form ({@code 10.80.0.2/32}, {@code fd00::/64}). Parsing never resolves a
 * name: only address literals are accepted, so text from a device or from core cannot trigger DNS.
 * {@link #toString()} is the canonical form WireGuard reads back: host bits cleared, IPv6
 * compressed as in RFC 5952. {@link #interfaceAddress()} keeps the host bits (for {@code ip address}).
 *
 * @param address the address as given (host bits kept)
 * @param prefix  the prefix length
 */
public record Cidr(InetAddress address, int prefix) {

    /** Longest text accepted: a full IPv6 address with an embedded IPv4 tail plus "/128". */
    private static final int MAX_TEXT_LENGTH = 45 + 4;
    private static final Pattern IPV4 = Pattern.compile("(0|[1-9][0-9]{0,2})(\\.(0|[1-9][0-9]{0,2})){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]{2,45}");
    private static final Pattern PREFIX = Pattern.compile("0|[1-9][0-9]{0,2}");

    public Cidr {
        int max = address instanceof Inet4Address ? 32 : 128;
        if (prefix < 0 || prefix > max) {
            throw new IllegalArgumentException("prefix length out of range");
        }
    }

    /**
     * Parses {@code address/prefix}. The message of the exception never repeats the input, which
     * may come from an untrusted peer.
     */
    public static Cidr parse(String text) {
        if (text == null || text.isEmpty() || text.length() > MAX_TEXT_LENGTH) {
            throw new IllegalArgumentException("not a CIDR");
        }
        int slash = text.indexOf('/');
        if (slash <= 0 || slash != text.lastIndexOf('/')) {
            throw new IllegalArgumentException("not a CIDR");
        }
        String prefixText = text.substring(slash + 1);
        if (!PREFIX.matcher(prefixText).matches()) {
            throw new IllegalArgumentException("not a CIDR");
        }
        InetAddress address = parseAddress(text.substring(0, slash));
        return new Cidr(address, Integer.parseInt(prefixText));
    }

    /** The canonical text of {@code text}: the same rules as {@link #parse} and {@link #toString}. */
    public static String canonical(String text) {
        return parse(text).toString();
    }

    /**
     * Parses an IPv4 dotted quad or an IPv6 literal (no zone, no brackets). Never a host name.
     */
    static InetAddress parseAddress(String text) {
        if (IPV4.matcher(text).matches()) {
            String[] parts = text.split("\\.");
            byte[] bytes = new byte[4];
            for (int i = 0; i < 4; i++) {
                int octet = Integer.parseInt(parts[i]);
                if (octet > 255) {
                    throw new IllegalArgumentException("not an IP address");
                }
                bytes[i] = (byte) octet;
            }
            return byAddress(bytes);
        }
        // Only an IPv6 literal can contain ':'; InetAddress parses it without any lookup.
        if (text.indexOf(':') >= 0 && IPV6.matcher(text).matches()) {
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

    private static InetAddress byAddress(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address");
        }
    }

    /** The network: the address with host bits cleared. */
    public Cidr network() {
        byte[] bytes = address.getAddress();
        for (int bit = prefix; bit < bytes.length * 8; bit++) {
            bytes[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        InetAddress masked = address instanceof Inet6Address ? ipv6(bytes) : byAddress(bytes);
        return new Cidr(masked, prefix);
    }

    private static InetAddress ipv6(byte[] bytes) {
        try {
            return Inet6Address.getByAddress(null, bytes, -1);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address");
        }
    }

    /** The address with host bits kept, e.g. {@code 10.80.0.1/24}, for {@code ip address}. */
    public String interfaceAddress() {
        return format(address) + "/" + prefix;
    }

    /** Canonical network text, e.g. {@code 10.80.0.0/24}, {@code fd00::/64}. */
    @Override
    public String toString() {
        return network().interfaceAddress();
    }

    /** IPv4 dotted quad or RFC 5952 IPv6 (lower case, longest run of two or more zero groups as "::"). */
    static String format(InetAddress address) {
        byte[] b = address.getAddress();
        if (b.length == 4) {
            return (b[0] & 0xff) + "." + (b[1] & 0xff) + "." + (b[2] & 0xff) + "." + (b[3] & 0xff);
        }
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int start = i;
            while (i < 8 && groups[i] == 0) {
                i++;
            }
            if (i - start > bestLength) {
                bestStart = start;
                bestLength = i - start;
            }
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                out.append("::");
                i += bestLength - 1;
                continue;
            }
            if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
                out.append(':');
            }
            out.append(Integer.toHexString(groups[i]));
        }
        return out.toString();
    }
}
