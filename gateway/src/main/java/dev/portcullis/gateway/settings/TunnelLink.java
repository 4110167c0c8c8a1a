package dev.portcullis.gateway.settings;

import dev.portcullis.protocol.link.ComponentHandler.ConfigRejectedException;
import dev.portcullis.protocol.net.Cidr;
import dev.portcullis.protocol.v1.WireGuardSettings;
import java.util.List;

/**
 * The WireGuard interface's own side as core configures it: its tunnel addresses and MTU.
 *
 * @param addresses CIDRs in canonical text, e.g. {@code 10.80.0.1/24}
 * @param mtu       the interface MTU
 */
public record TunnelLink(List<String> addresses, int mtu) {

    /** WireGuard's own default: 1500 minus the largest (IPv6) encapsulation overhead. */
    public static final int DEFAULT_MTU = 1420;
    /** IPv6 requires links to carry 1280 bytes; below that the interface is unusable for IPv6. */
    public static final int MIN_MTU = 1280;
    /** Jumbo frames minus encapsulation; anything larger is a mistake. */
    public static final int MAX_MTU = 9000;
    /** One IPv4 and one IPv6 network per location, with room to renumber; each becomes a route. */
    public static final int MAX_ADDRESSES = 8;

    public TunnelLink {
        addresses = List.copyOf(addresses);
    }

    /** Maps core's settings; refuses what the interface cannot take with a message safe to send to core. */
    public static TunnelLink fromProto(WireGuardSettings proto) throws ConfigRejectedException {
        if (proto.getAddressesCount() > MAX_ADDRESSES) {
            throw new ConfigRejectedException("at most " + MAX_ADDRESSES + " interface addresses");
        }
        List<String> addresses = new java.util.ArrayList<>();
        for (String address : proto.getAddressesList()) {
            try {
                // Validated strictly; passed on as core wrote it, since an interface address keeps its host bits.
                Cidr.parseWithPrefixLength(address);
            } catch (IllegalArgumentException e) {
                throw new ConfigRejectedException("an interface address " + e.getMessage());
            }
            addresses.add(address);
        }
        int mtu = proto.getMtu() == 0 ? DEFAULT_MTU : proto.getMtu();
        if (mtu < MIN_MTU || mtu > MAX_MTU) {
            throw new ConfigRejectedException("the MTU must be between " + MIN_MTU + " and " + MAX_MTU);
        }
        return new TunnelLink(addresses, mtu);
    }
}
