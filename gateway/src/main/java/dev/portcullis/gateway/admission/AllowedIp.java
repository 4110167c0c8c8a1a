package dev.portcullis.gateway.admission;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * One CIDR a peer may use as its tunnel source address, parsed strictly and without any name
 * lookup. Host bits are cleared, as WireGuard itself does, so two spellings of the same network
 * are equal and compare equal to what the device reports back.
 */
public final class AllowedIp {

    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern PREFIX = Pattern.compile("\\d{1,3}");
    /** Longest text of a CIDR (a full IPv6 address with an embedded IPv4 tail and a prefix). */
    private static final int MAX_TEXT_LENGTH = 64;

    private final byte[] network;
    private final int prefixLength;

    private AllowedIp(byte[] network, int prefixLength) {
        this.network = network;
        this.prefixLength = prefixLength;
    }

    /**
     * Parses {@code 10.80.0.2/32} or {@code fd00::2/128}.
     *
     * @throws IllegalArgumentException with a message that quotes nothing of the input
     */
    public static AllowedIp parse(String text) {
        if (text == null || text.isEmpty() || text.length() > MAX_TEXT_LENGTH) {
            throw new IllegalArgumentException("not a CIDR");
        }
        int slash = text.indexOf('/');
        if (slash <= 0 || slash != text.lastIndexOf('/') || !PREFIX.matcher(text.substring(slash + 1)).matches()) {
            throw new IllegalArgumentException("not a CIDR (address/prefix)");
        }
        byte[] address = address(text.substring(0, slash));
        int prefix = Integer.parseInt(text.substring(slash + 1));
        if (prefix > address.length * 8) {
            throw new IllegalArgumentException("CIDR prefix too long for the address");
        }
        return new AllowedIp(mask(address, prefix), prefix);
    }

    private static byte[] address(String text) {
        if (text.indexOf(':') < 0) {
            var matcher = IPV4.matcher(text);
            if (!matcher.matches()) {
                throw new IllegalArgumentException("not an IP address");
            }
            byte[] bytes = new byte[4];
            for (int i = 0; i < 4; i++) {
                int octet = Integer.parseInt(matcher.group(i + 1));
                if (octet > 255) {
                    throw new IllegalArgumentException("not an IPv4 address");
                }
                bytes[i] = (byte) octet;
            }
            return bytes;
        }
        if (!text.chars().allMatch(c -> c == ':' || c == '.' || Character.digit(c, 16) >= 0)) {
            throw new IllegalArgumentException("not an IPv6 address");
        }
        try {
            // In brackets the JDK only accepts an IPv6 literal and never asks a resolver.
            InetAddress parsed = InetAddress.getByName("[" + text + "]");
            if (!(parsed instanceof Inet6Address)) {
                throw new IllegalArgumentException("IPv4-mapped IPv6 addresses are not accepted; use the IPv4 form");
            }
            return parsed.getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IPv6 address");
        }
    }

    private static byte[] mask(byte[] address, int prefix) {
        byte[] masked = address.clone();
        for (int bit = prefix; bit < masked.length * 8; bit++) {
            masked[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        return masked;
    }

    public boolean isIpv4() {
        return network.length == 4;
    }

    public int prefixLength() {
        return prefixLength;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AllowedIp other && prefixLength == other.prefixLength && Arrays.equals(network, other.network);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(network) + prefixLength;
    }

    /** Canonical text: the network address and prefix, e.g. {@code 10.80.0.2/32}, {@code fd00:0:0:0:0:0:0:2/128}. */
    @Override
    public String toString() {
        try {
            InetAddress address = InetAddress.getByAddress(network);
            String host = address instanceof Inet4Address ? address.getHostAddress()
                    : ((Inet6Address) address).getHostAddress();
            return host + "/" + prefixLength;
        } catch (UnknownHostException e) {
            throw new IllegalStateException("4 or 16 bytes are always an address", e);
        }
    }
}
