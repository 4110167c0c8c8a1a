package dev.portcullis.core.location;

import dev.portcullis.core.error.BadRequestException;
import dev.portcullis.protocol.net.Cidr;

/**
 * A {@link Cidr} typed by an admin into a named field: surrounding whitespace is forgiven, and a
 * parse failure becomes a {@link BadRequestException} naming the field (and quoting the input when
 * it is short and printable), so the admin sees what to fix.
 */
public final class CidrField {

    /** Longer than any CIDR text with a little surrounding whitespace; longer input is not quoted back. */
    static final int MAX_TEXT_CHARS = 64;

    private CidrField() {
    }

    /**
     * Parses {@code address/prefix}; a bare address means a single host (/32 or /128). Host bits are
     * kept (an interface address needs them). {@code what} names the field in the error message
     * (e.g. "allowed IP").
     */
    public static Cidr parse(String text, String what) {
        if (text == null || text.isBlank() || text.length() > MAX_TEXT_CHARS) {
            throw invalid(what, text);
        }
        try {
            return Cidr.parse(text.strip());
        } catch (IllegalArgumentException e) {
            throw invalid(what, text);
        }
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

    private static BadRequestException invalid(String what, String text) {
        boolean printable = text != null && text.length() <= MAX_TEXT_CHARS && text.chars().allMatch(c -> c > 32 && c < 127);
        return new BadRequestException(what + (printable ? " '" + text + "'" : "") + " is not an IP address or prefix "
                + "in CIDR notation (e.g. 10.80.0.2/32 or fd00:80::2/128)");
    }
}
