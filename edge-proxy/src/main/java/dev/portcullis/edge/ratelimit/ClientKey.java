package dev.portcullis.edge.ratelimit;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Arrays;

/**
 * Whose bucket a request draws from: the IPv4 address, or the IPv6 /64 (one host usually owns
 * a whole /64, so keying by full address would give it 2^64 buckets).
 */
public record ClientKey(String value) {

    private static final int IPV6_PREFIX_BYTES = 8;

    public static ClientKey of(InetAddress address) {
        if (address instanceof Inet4Address) {
            return new ClientKey(address.getHostAddress());
        }
        byte[] prefix = Arrays.copyOf(address.getAddress(), 16);
        Arrays.fill(prefix, IPV6_PREFIX_BYTES, prefix.length, (byte) 0);
        try {
            return new ClientKey(InetAddress.getByAddress(prefix).getHostAddress() + "/64");
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException("16 bytes are always an IPv6 address", e);
        }
    }
}
