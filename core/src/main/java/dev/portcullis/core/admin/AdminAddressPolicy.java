package dev.portcullis.core.admin;

import dev.portcullis.core.error.StartupRefusedException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

/**
 * Core listens only on an internal address. The admin API may bind to loopback, private
 * (RFC 1918 / IPv6 ULA) or link-local addresses; a wildcard or a public address is refused unless
 * the operator names exactly that address in {@code portcullis.admin.allow-address}.
 */
public final class AdminAddressPolicy {

    private AdminAddressPolicy() {
    }

    /** Throws {@link StartupRefusedException} with what to change if {@code host} is not acceptable. */
    public static void check(String host, Optional<String> allowAddress) {
        if (host == null || host.isBlank()) {
            throw new StartupRefusedException("the admin API host is empty, which would listen on every interface; "
                    + "set portcullis.admin.host to an internal address such as 127.0.0.1");
        }
        String trimmed = host.strip();
        if (allowAddress.map(String::strip).filter(trimmed::equals).isPresent()) {
            return;
        }
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(trimmed);
        } catch (UnknownHostException e) {
            throw new StartupRefusedException("the admin API host '" + trimmed + "' does not resolve; "
                    + "set portcullis.admin.host to an internal IP address");
        }
        for (InetAddress address : addresses) {
            if (address.isAnyLocalAddress()) {
                throw new StartupRefusedException("refusing to bind the admin API to the wildcard address " + trimmed
                        + ": core must listen on an internal address only. Use --admin-host 127.0.0.1 (or a private "
                        + "address), or set portcullis.admin.allow-address=" + trimmed + " to accept it deliberately");
            }
            if (!isInternal(address)) {
                throw new StartupRefusedException("refusing to bind the admin API to " + trimmed + " ("
                        + address.getHostAddress() + "), which is not a loopback, private or link-local address. "
                        + "Set portcullis.admin.allow-address=" + trimmed + " to accept it deliberately");
            }
        }
    }

    static boolean isInternal(InetAddress address) {
        byte[] bytes = address.getAddress();
        boolean uniqueLocalV6 = bytes.length == 16 && (bytes[0] & 0xfe) == 0xfc; // fc00::/7
        return address.isLoopbackAddress() || address.isSiteLocalAddress() || address.isLinkLocalAddress()
                || uniqueLocalV6;
    }
}
