package dev.portcullis.protocol.link;

import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.join.JoinToken;
import dev.portcullis.pki.store.CredentialStore;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;

/**
 * How a component's end of the control link is set up.
 *
 * @param role            EDGE_PROXY or GATEWAY
 * @param listen          where the gRPC server for core listens (port 0 picks a free port)
 * @param store           where this component's own credentials live
 * @param joinToken       the one-time token, needed only until the component is adopted
 * @param clock           time source for certificate validity checks
 * @param softwareVersion reported to core in Hello
 */
public record LinkSettings(PeerIdentity.Role role, InetSocketAddress listen, CredentialStore store,
                           Optional<JoinToken> joinToken, Clock clock, String softwareVersion) {

    public LinkSettings {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(joinToken, "joinToken");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(softwareVersion, "softwareVersion");
        if (role == PeerIdentity.Role.CORE) {
            throw new IllegalArgumentException("core does not serve a component link");
        }
    }
}
