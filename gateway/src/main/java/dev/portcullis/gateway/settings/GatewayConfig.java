package dev.portcullis.gateway.settings;

import dev.portcullis.protocol.link.ComponentHandler.ConfigRejectedException;
import dev.portcullis.protocol.v1.GatewaySettings;
import java.util.Objects;

/**
 * The gateway's configuration as core last sent it, validated once, at the edge of this module.
 *
 * @param version  the configuration version (0 before core sent any)
 * @param location the location (WireGuard network) this gateway serves; empty until core says
 * @param notice   text for operators, shown on the health endpoint; empty for none
 */
public record GatewayConfig(long version, String location, String notice) {

    /** A location is a short name an operator reads, not a document. */
    public static final int MAX_LOCATION_LENGTH = 128;
    /** A notice is a sentence or two. */
    public static final int MAX_NOTICE_LENGTH = 1_000;

    public GatewayConfig {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(notice, "notice");
    }

    public static GatewayConfig initial() {
        return new GatewayConfig(0, "", "");
    }

    /** Maps core's settings; refuses what this gateway cannot serve with a message safe to send back to core. */
    public static GatewayConfig fromProto(long version, GatewaySettings proto) throws ConfigRejectedException {
        if (proto.getLocation().length() > MAX_LOCATION_LENGTH || proto.getLocation().chars().anyMatch(Character::isISOControl)) {
            throw new ConfigRejectedException("location must be at most " + MAX_LOCATION_LENGTH + " printable characters");
        }
        if (proto.getNotice().length() > MAX_NOTICE_LENGTH) {
            throw new ConfigRejectedException("notice is longer than " + MAX_NOTICE_LENGTH + " characters");
        }
        return new GatewayConfig(version, proto.getLocation(), proto.getNotice());
    }

    public GatewayConfig withVersion(long newVersion) {
        return new GatewayConfig(newVersion, location, notice);
    }
}
