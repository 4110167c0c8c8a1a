package dev.portcullis.core.location;

import dev.portcullis.core.error.BadRequestException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * An IP prefix in CIDR notation ({@code 10.80.0.0/24}, {@code fd00:80::/64}), parsed strictly and
 * printed in one canonical form, so that what core stores, compares and sends to gateways never
 * depends on how an admin typed it. Parsing never touches DNS.
 *
 * @param address the address as given (host bits may be set: an interface address keeps them)
 * @param prefix  the prefix length, 0-32 (IPv4) or 0-128 (IPv6)
 */
public record Cidr(InetAddress address, int prefix) {

    /** Longer than any CIDR text (an IPv6 address with an embedded IPv4 tail and /128 is 49). */
    static final int MAX_TEXT_CHARS = 64;
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    /** Only hex digits, colons and dots: such a string is an IPv6 literal or invalid, never a host name to resolve. */
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");
    private static final Pattern PREFIX = Pattern.compile("\\d{1,3}");

    public Cidr {
        int bits = address instanceof Inet4Address ? 32 : 128;
        if (prefix < 0 || prefix > bits) {
            throw new IllegalArgumentException("prefix out of range");
        }
    }

    /**
     * Parses {@code address/prefix}; a bare address means a single host (/32 or /128).
     * {@code what} names the field in the error message (e.g. "allowed IP").
     */
    public static Cidr parse(String text, String what) {
        if (text == null || text.isBlank() || text.length() > MAX_TEXT_CHARS) {
            throw invalid(what, text);
        }
        String trimmed = text.strip();
        int slash = trimmed.indexOf('/');
        String addressText = slash < 0 ? trimmed : trimmed.substring(0, slash);
        InetAddress address = literal(addressText).orElseThrow(() -> invalid(what, text));
        int bits = address instanceof Inet4Address ? 32 : 128;
        int prefix = bits;
        if (slash >= 0) {
            String prefixText = trimmed.substring(slash + 1);
            if (!PREFIX.matcher(prefixText).matches() || Integer.parseInt(prefixText) > bits) {
                throw invalid(what, text);
            }
            prefix = Integer.parseInt(prefixText);
        }
        return new Cidr(address, prefix);
    }

    /**
     * Parses a network prefix: host bits must be zero ({@code 10.1.2.0/24}, not {@code 10.1.2.3/24}),
     * since a policy or route naming {@code 10.1.2.3/24} is almost always a typo for something else.
     */
    public static Cidr parseNetwork(String text, String what) {
        Cidr cidr = parse(text, what);
        if (!cidr.isNetwork()) {
            throw new BadRequestException(what + " " + cidr + " has host bits set; did you mean " + cidr.network() + "?");
        }
        return cidr;
    }

    public boolean isIpv4() {
        return address instanceof Inet4Address;
    }

    /** True if no bit after the prefix is set. */
    public boolean isNetwork() {
        return network().equals(this);
    }

    /** True if the two prefixes share at least one address (one contains the other). */
    public boolean overlaps(Cidr other) {
        if (isIpv4() != other.isIpv4()) {
            return false;
        }
        int shorter = Math.min(prefix, other.prefix);
        return new Cidr(address, shorter).network().equals(new Cidr(other.address, shorter).network());
    }

    /** The prefix with host bits cleared. */
    public Cidr network() {
        byte[] bytes = address.getAddress();
        for (int bit = prefix; bit < bytes.length * 8; bit++) {
            bytes[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        try {
            return new Cidr(InetAddress.getByAddress(bytes), prefix);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Canonical text: dotted quad for IPv4, RFC 5952 (lower case, longest zero run compressed) for IPv6. */
    @Override
    public String toString() {
        return (isIpv4() ? address.getHostAddress() : rfc5952(address.getAddress())) + "/" + prefix;
    }

    private static java.util.Optional<InetAddress> literal(String text) {
        boolean v4 = IPV4.matcher(text).matches();
        boolean v6 = !v4 && IPV6.matcher(text).matches() && !text.contains("%");
        if (!v4 && !v6) {
            return java.util.Optional.empty();
        }
        try {
            InetAddress parsed = InetAddress.getByName(text); // a literal by the checks above: no lookup
            // "::ffff:10.0.0.1" comes back as an Inet4Address: one notation per family keeps rules unambiguous.
            boolean sameFamily = v4 ? parsed instanceof Inet4Address : parsed instanceof Inet6Address;
            return sameFamily ? java.util.Optional.of(parsed) : java.util.Optional.empty();
        } catch (UnknownHostException e) {
            return java.util.Optional.empty();
        }
    }

    private static String rfc5952(byte[] bytes) {
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((bytes[2 * i] & 0xff) << 8) | (bytes[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLength = 1; // a single zero group is not compressed
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                text.append("::");
                i += bestLength - 1;
                continue;
            }
            if (text.length() > 0 && text.charAt(text.length() - 1) != ':') {
                text.append(':');
            }
            text.append(Integer.toHexString(groups[i]));
        }
        return text.toString();
    }

    private static BadRequestException invalid(String what, String text) {
        boolean printable = text != null && text.length() <= MAX_TEXT_CHARS && text.chars().allMatch(c -> c > 32 && c < 127);
        return new BadRequestException(what + (printable ? " '" + text + "'" : "") + " is not an IP address or prefix "
                + "in CIDR notation (e.g. 10.80.0.2/32 or fd00:80::2/128)");
    }
}
