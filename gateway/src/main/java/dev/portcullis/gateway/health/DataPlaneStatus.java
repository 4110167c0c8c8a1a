package dev.portcullis.gateway.health;

import java.util.OptionalLong;

/** What the gateway's data plane holds now, as the health endpoint shows it; tests use a fake. */
public interface DataPlaneStatus {

    /** Peers admitted on the WireGuard interface. */
    int peerCount();

    /** Revision of the ACL policy in force; empty while only the default deny is installed. */
    OptionalLong aclRevision();
}
