package dev.portcullis.core.component;

import dev.portcullis.core.error.BadRequestException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * Where core dials a component: a DNS name or an IP literal, and a port. Text form {@code host:port},
 * IPv6 literals in brackets ({@code [fd00::1]:7443}).
 */
public record ComponentAddress(String host, int port) {

    /** The longest DNS name; nothing longer is a host. */
    static final int MAX_HOST_CHARS = 253;
    private static final Pattern DNS_NAME = Pattern.compile(
            "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]+");

    public ComponentAddress {
        if (host == null || host.isEmpty() || host.length() > MAX_HOST_CHARS || !isHost(host)) {
            throw new BadRequestException("address host must be a DNS name or an IP address");
        }
        if (port < 1 || port > 65535) {
            throw new BadRequestException("address port must be between 1 and 65535");
        }
    }

    /** Parses {@code host:port}. */
    public static ComponentAddress parse(String text) {
        if (text == null || text.isBlank()) {
            throw new BadRequestException("address is required (host:port)");
        }
        String trimmed = text.strip();
        String host;
        String port;
        if (trimmed.startsWith("[")) {
            int close = trimmed.indexOf("]:");
            if (close < 0) {
                throw new BadRequestException("address must be host:port ([v6-address]:port for IPv6)");
            }
            host = trimmed.substring(1, close);
            port = trimmed.substring(close + 2);
        } else {
            int colon = trimmed.lastIndexOf(':');
            if (colon <= 0 || trimmed.indexOf(':') != colon) {
                throw new BadRequestException("address must be host:port ([v6-address]:port for IPv6)");
            }
            host = trimmed.substring(0, colon);
            port = trimmed.substring(colon + 1);
        }
        if (!port.matches("\\d{1,5}")) {
            throw new BadRequestException("address port must be a number between 1 and 65535");
        }
        return new ComponentAddress(host, Integer.parseInt(port));
    }

    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    private static boolean isHost(String host) {
        var v4 = IPV4.matcher(host);
        if (v4.matches()) {
            for (int group = 1; group <= 4; group++) {
                if (Integer.parseInt(v4.group(group)) > 255) {
                    return false;
                }
            }
            return true;
        }
        if (host.contains(":")) {
            if (!IPV6_CHARS.matcher(host).matches()) {
                return false;
            }
            try {
                InetAddress.getByName(host); // a literal containing ':' is parsed, never looked up
                return true;
            } catch (UnknownHostException e) {
                return false;
            }
        }
        return DNS_NAME.matcher(host).matches() && !host.matches("[0-9.]+");
    }
}
