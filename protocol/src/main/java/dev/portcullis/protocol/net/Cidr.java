package dev.portcullis.protocol.net;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * An IPv4 or IPv6 address with a prefix length, {@code 10.80.0.1/24} or {@code fd00::/64}, printed
 * in one canonical form (IPv6 as RFC 5952 text). Parsed by hand from a strict grammar, never through
 * {@code InetAddress} (which falls back to a DNS lookup for text it does not recognise as a
 * literal): decimal octets without leading zeros, colon-hex groups with at most one {@code ::}, no
 * zone index, no brackets, no embedded dotted IPv4, no whitespace. Parse failures are
 * {@link IllegalArgumentException}s whose message never contains the input; callers map them to
 * their own typed errors.
 * <p>
 * The value keeps host bits as written (an interface address needs them); {@link #parseNetwork}
 * refuses them and {@link #network()} clears them. Equality compares the bits as kept.
 * <p>
 * The 128-bit value is kept as two longs; an IPv4 address occupies the top 32 bits of {@code high},
 * so that masking and containment work the same for both families.
 */
public final class Cidr implements Comparable<Cidr> {

    /** The address family; its width bounds the prefix length. */
    public enum Family {
        IPV4(32), IPV6(128);

        private final int bits;

        Family(int bits) {
            this.bits = bits;
        }

        public int bits() {
            return bits;
        }
    }

    /**
     * Longest text accepted, checked before any parsing: a full IPv6 address (39 characters) plus
     * {@code /128}. Longer input is not a CIDR, whatever it contains.
     */
    public static final int MAX_TEXT_LENGTH = 43;

    private static final Comparator<Cidr> ORDER = Comparator.comparing(Cidr::family)
            .thenComparing((a, b) -> Long.compareUnsigned(a.high, b.high))
            .thenComparing((a, b) -> Long.compareUnsigned(a.low, b.low))
            .thenComparingInt(Cidr::prefixLength);

    private final Family family;
    private final long high;
    private final long low;
    private final int prefixLength;

    private Cidr(Family family, long high, long low, int prefixLength) {
        this.family = family;
        this.high = high;
        this.low = low;
        this.prefixLength = prefixLength;
    }

    /**
     * Parses {@code address/prefix} or a bare address (a host: /32 or /128), keeping host bits as
     * written.
     *
     * @throws IllegalArgumentException if the text is not a CIDR
     */
    public static Cidr parse(String text) {
        if (text == null || text.isEmpty() || text.length() > MAX_TEXT_LENGTH) {
            throw new IllegalArgumentException("is not a CIDR");
        }
        int slash = text.indexOf('/');
        String address = slash < 0 ? text : text.substring(0, slash);
        boolean ipv6 = address.indexOf(':') >= 0;
        Family family = ipv6 ? Family.IPV6 : Family.IPV4;
        long[] value = ipv6 ? parseIpv6(address) : parseIpv4(address);
        int prefix = slash < 0 ? family.bits() : parsePrefix(text.substring(slash + 1), family);
        return new Cidr(family, value[0], value[1], prefix);
    }

    /**
     * Parses {@code address/prefix} only: a bare address is refused, for text (from a device, or an
     * allowed IP or interface address from core) that always carries its prefix length. Host bits
     * are kept as written.
     *
     * @throws IllegalArgumentException if the text is not a CIDR with an explicit prefix length
     */
    public static Cidr parseWithPrefixLength(String text) {
        if (text == null || text.indexOf('/') <= 0) {
            throw new IllegalArgumentException("is not a CIDR (address/prefix)");
        }
        return parse(text);
    }

    /**
     * Parses {@code address/prefix} as {@link #parseWithPrefixLength} and clears host bits, as
     * WireGuard itself does with allowed IPs: two spellings of one network give equal values and the
     * text the device reports back.
     *
     * @throws IllegalArgumentException if the text is not a CIDR with an explicit prefix length
     */
    public static Cidr parseClearingHostBits(String text) {
        return parseWithPrefixLength(text).network();
    }

    /**
     * Parses a network, as {@link #parse}, but refuses host bits: {@code 10.1.2.0/24}, not
     * {@code 10.1.2.3/24}, since a policy naming {@code 10.1.2.3/24} is almost always a typo.
     *
     * @throws IllegalArgumentException if the text is not a CIDR, or has host bits set
     */
    public static Cidr parseNetwork(String text) {
        Cidr cidr = parse(text);
        if (!cidr.isNetwork()) {
            throw new IllegalArgumentException("has host bits set (the network is " + cidr.network() + ")");
        }
        return cidr;
    }

    /**
     * The networks in canonical order without duplicates and without networks that another one in
     * the list already covers. The result is what nftables would match anyway, written once. Meant
     * for networks ({@link #parseNetwork}); with host bits kept, entries are compared as written.
     */
    public static List<Cidr> normalize(List<Cidr> cidrs) {
        List<Cidr> sorted = new ArrayList<>(cidrs);
        sorted.sort(ORDER);
        List<Cidr> result = new ArrayList<>();
        for (Cidr cidr : sorted) {
            // Networks are nested or disjoint; in this order a covering network precedes what it covers.
            if (result.isEmpty() || !result.get(result.size() - 1).contains(cidr)) {
                result.add(cidr);
            }
        }
        return List.copyOf(result);
    }

    public Family family() {
        return family;
    }

    public int prefixLength() {
        return prefixLength;
    }

    /** Whether no bit after the prefix is set. */
    public boolean isNetwork() {
        return network().equals(this);
    }

    /** The same prefix with host bits cleared: {@code 10.1.2.0/24} for {@code 10.1.2.3/24}. */
    public Cidr network() {
        return new Cidr(family, high & highMask(prefixLength), low & lowMask(prefixLength), prefixLength);
    }

    /** Whether every address of {@code other}'s network is in this network. */
    public boolean contains(Cidr other) {
        if (other.family != family || other.prefixLength < prefixLength) {
            return false;
        }
        long highMask = highMask(prefixLength);
        long lowMask = lowMask(prefixLength);
        return (other.high & highMask) == (high & highMask) && (other.low & lowMask) == (low & lowMask);
    }

    /** Whether the two networks share an address; within one family that means one contains the other. */
    public boolean overlaps(Cidr other) {
        return contains(other) || other.contains(this);
    }

    @Override
    public int compareTo(Cidr other) {
        return ORDER.compare(this, other);
    }

    private static long highMask(int prefix) {
        return prefix >= 64 ? -1L : prefix == 0 ? 0L : -1L << (64 - prefix);
    }

    private static long lowMask(int prefix) {
        return prefix <= 64 ? 0L : prefix == 128 ? -1L : -1L << (128 - prefix);
    }

    private static int parsePrefix(String text, Family family) {
        int value = parseDecimal(text, 3);
        if (value < 0 || value > family.bits()) {
            throw new IllegalArgumentException("is not a CIDR (bad prefix length)");
        }
        return value;
    }

    /** Dotted quad, four decimal octets without leading zeros (which some parsers read as octal). */
    private static long[] parseIpv4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("is not a CIDR");
        }
        long value = 0;
        for (String part : parts) {
            int octet = parseDecimal(part, 3);
            if (octet < 0 || octet > 255) {
                throw new IllegalArgumentException("is not a CIDR");
            }
            value = (value << 8) | octet;
        }
        return new long[] {value << 32, 0L};
    }

    /** Colon-hex groups with at most one {@code ::}. No zone index, no embedded dotted IPv4. */
    private static long[] parseIpv6(String text) {
        int gap = text.indexOf("::");
        if (gap >= 0 && text.indexOf("::", gap + 1) >= 0) {
            throw new IllegalArgumentException("is not a CIDR");
        }
        List<Integer> head;
        List<Integer> tail;
        if (gap < 0) {
            head = parseGroups(text);
            tail = List.of();
            if (head.size() != 8) {
                throw new IllegalArgumentException("is not a CIDR");
            }
        } else {
            head = parseGroups(text.substring(0, gap));
            tail = parseGroups(text.substring(gap + 2));
            if (head.size() + tail.size() > 7) {
                throw new IllegalArgumentException("is not a CIDR");
            }
        }
        int[] groups = new int[8];
        for (int i = 0; i < head.size(); i++) {
            groups[i] = head.get(i);
        }
        for (int i = 0; i < tail.size(); i++) {
            groups[8 - tail.size() + i] = tail.get(i);
        }
        long high = 0;
        long low = 0;
        for (int i = 0; i < 4; i++) {
            high = (high << 16) | groups[i];
            low = (low << 16) | groups[i + 4];
        }
        return new long[] {high, low};
    }

    private static List<Integer> parseGroups(String text) {
        if (text.isEmpty()) {
            return List.of();
        }
        List<Integer> groups = new ArrayList<>();
        for (String group : text.split(":", -1)) {
            if (group.isEmpty() || group.length() > 4) {
                throw new IllegalArgumentException("is not a CIDR");
            }
            int value = 0;
            for (int i = 0; i < group.length(); i++) {
                int digit = hexDigit(group.charAt(i));
                if (digit < 0) {
                    throw new IllegalArgumentException("is not a CIDR");
                }
                value = (value << 4) | digit;
            }
            groups.add(value);
        }
        return groups;
    }

    private static int hexDigit(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    /** ASCII digits only, at most {@code maxDigits}, no leading zero; -1 if not such a number. */
    private static int parseDecimal(String text, int maxDigits) {
        if (text.isEmpty() || text.length() > maxDigits || (text.length() > 1 && text.charAt(0) == '0')) {
            return -1;
        }
        int value = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    /**
     * Canonical text: {@code 10.0.0.0/8}, {@code fd00:1::/64} (RFC 5952), {@code 10.80.0.1/24} (host
     * bits as kept). Always with the prefix length.
     */
    @Override
    public String toString() {
        return (family == Family.IPV4 ? ipv4Text() : ipv6Text()) + "/" + prefixLength;
    }

    private String ipv4Text() {
        long v = high >>> 32;
        return ((v >>> 24) & 0xff) + "." + ((v >>> 16) & 0xff) + "." + ((v >>> 8) & 0xff) + "." + (v & 0xff);
    }

    private String ipv6Text() {
        int[] groups = new int[8];
        for (int i = 0; i < 4; i++) {
            groups[i] = (int) ((high >>> (48 - 16 * i)) & 0xffff);
            groups[i + 4] = (int) ((low >>> (48 - 16 * i)) & 0xffff);
        }
        // RFC 5952 4.2: shorten the longest run of two or more zero groups, the first one on a tie.
        int bestStart = -1;
        int bestLength = 1;
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

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr other && other.family == family && other.high == high && other.low == low
                && other.prefixLength == prefixLength;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(high) * 31 + Long.hashCode(low) * 17 + prefixLength * 3 + family.hashCode();
    }
}
