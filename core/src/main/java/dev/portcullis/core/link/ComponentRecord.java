package dev.portcullis.core.link;

import dev.portcullis.pki.cert.PeerIdentity;

/**
 * A registered component as the link supervisor sees it.
 *
 * @param id      core-assigned lower-case UUID (the identity in its certificate)
 * @param name    admin-chosen unique name
 * @param role    EDGE_PROXY or GATEWAY
 * @param host    address core dials (host name or IP literal)
 * @param port    port core dials
 * @param adopted true once a join completed and a certificate was issued
 */
public record ComponentRecord(String id, String name, PeerIdentity.Role role, String host, int port, boolean adopted) {

    public PeerIdentity identity() {
        return PeerIdentity.component(role, id);
    }
}
