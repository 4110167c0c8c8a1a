package dev.portcullis.gateway.acl;

import java.util.regex.Pattern;

/**
 * The name of the WireGuard interface whose incoming traffic the firewall filters, checked so that
 * it can be written into nftables text and the table name unquoted and unescaped.
 *
 * @param name a Linux interface name: 1–15 of {@code [a-zA-Z0-9_.-]}, not {@code .} or {@code ..}
 */
public record TunnelInterface(String name) {

    /** Linux's IFNAMSIZ is 16 including the terminating NUL. */
    public static final int MAX_NAME_LENGTH = 15;

    /** Letters, digits, {@code _ . -}: valid for Linux, safe inside an nft identifier and a quoted string. */
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_.-]{1," + MAX_NAME_LENGTH + "}");

    private static final String TABLE_PREFIX = "portcullis_";

    /** Use {@link #of(String)}; the canonical constructor checks too, so no unchecked instance exists. */
    public TunnelInterface {
        if (name == null || !NAME.matcher(name).matches() || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("interface name must be 1-" + MAX_NAME_LENGTH
                    + " characters of letters, digits, '_', '.' or '-'");
        }
    }

    /** Checks a name, reporting a bad one as an invalid policy input. */
    public static TunnelInterface of(String name) throws InvalidAclPolicyException {
        try {
            return new TunnelInterface(name);
        } catch (IllegalArgumentException e) {
            throw new InvalidAclPolicyException(e.getMessage());
        }
    }

    /** The one nftables table (family {@code inet}) the gateway owns for this interface. */
    public String tableName() {
        return TABLE_PREFIX + name;
    }

    @Override
    public String toString() {
        return name;
    }
}
