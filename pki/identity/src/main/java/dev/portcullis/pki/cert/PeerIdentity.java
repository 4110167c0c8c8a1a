package dev.portcullis.pki.cert;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Who a certificate belongs to, carried as a URI subject alternative name.
 * {@code urn:portcullis:core} for core, {@code urn:portcullis:<role>:<component id>} for a component.
 * Identity checks compare this exactly; names and addresses are informational.
 */
public record PeerIdentity(String uri) {

    private static final String PREFIX = "urn:portcullis:";
    /** Component ids are core-assigned UUIDs; anything else is rejected before it reaches a certificate. */
    private static final Pattern COMPONENT_ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    public PeerIdentity {
        Objects.requireNonNull(uri, "uri");
        if (!uri.startsWith(PREFIX)) {
            throw new IllegalArgumentException("not a Portcullis identity: " + uri);
        }
    }

    public static PeerIdentity core() {
        return new PeerIdentity(PREFIX + "core");
    }

    public static PeerIdentity component(Role role, String componentId) {
        if (role == Role.CORE) {
            throw new IllegalArgumentException("core is not a component");
        }
        if (componentId == null || !COMPONENT_ID.matcher(componentId).matches()) {
            throw new IllegalArgumentException("component id must be a lower-case UUID");
        }
        return new PeerIdentity(PREFIX + role.urnName() + ":" + componentId);
    }

    public boolean isCore() {
        return equals(core());
    }

    @Override
    public String toString() {
        return uri;
    }

    /** The roles a certificate can be issued for. */
    public enum Role {
        CORE("core"),
        EDGE_PROXY("edge-proxy"),
        GATEWAY("gateway");

        private final String urnName;

        Role(String urnName) {
            this.urnName = urnName;
        }

        public String urnName() {
            return urnName;
        }
    }
}
