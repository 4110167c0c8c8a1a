package dev.portcullis.core.invite;

import dev.portcullis.core.component.PublicEdge;
import dev.portcullis.core.error.ConflictException;
import dev.portcullis.core.error.NotFoundException;
import dev.portcullis.pki.enroll.InviteLink;
import dev.portcullis.pki.enroll.TrustAnchorPin;
import dev.portcullis.enrollment.token.InviteToken;
import java.net.URI;
import java.util.List;
import java.util.Optional;

/**
 * Which edge-proxy an invite link points at: the one the admin names, or else the only edge-proxy
 * with a public origin. It must have told core the pin of its public TLS chain, which the link
 * carries so the agent can pin it. Each refusal says what to do about it.
 */
final class InviteOrigin {

    private static final String SET_ORIGIN = "portcullis-admin component set %s --public-origin https://…";

    private InviteOrigin() {
    }

    /** Step 1: the edge-proxy, named or the only candidate. */
    static PublicEdge choose(List<PublicEdge> edges, Optional<String> via) {
        if (via.isPresent()) {
            PublicEdge named = edges.stream().filter(e -> e.name().equals(via.get())).findFirst()
                    .orElseThrow(() -> new NotFoundException(via.get().matches("[a-z0-9-]{1,63}")
                            ? "no edge-proxy named '" + via.get() + "'" : "no such edge-proxy"));
            if (named.publicOrigin().isEmpty()) {
                throw new ConflictException("edge-proxy '" + named.name() + "' has no public origin; set it with `"
                        + String.format(SET_ORIGIN, named.name()) + "`");
            }
            return named;
        }
        if (edges.isEmpty()) {
            throw new ConflictException("no edge-proxy is registered, so an invite link has nowhere to point; add one with "
                    + "`portcullis-admin component add --role edge-proxy --name NAME --address HOST:PORT`");
        }
        List<PublicEdge> withOrigin = edges.stream().filter(e -> e.publicOrigin().isPresent()).toList();
        if (withOrigin.isEmpty()) {
            throw new ConflictException("no edge-proxy has a public origin; set the edge-proxy's public origin with `"
                    + String.format(SET_ORIGIN, edges.size() == 1 ? edges.get(0).name() : "<name>") + "`");
        }
        if (withOrigin.size() > 1) {
            throw new ConflictException("several edge proxies have a public origin ("
                    + String.join(", ", withOrigin.stream().map(PublicEdge::name).toList()) + "); choose one with --via NAME");
        }
        return withOrigin.get(0);
    }

    /** Step 2: the link, with the edge-proxy's origin and pin. */
    static InviteLink link(PublicEdge edge, InviteToken token) {
        if (edge.pin().isEmpty()) {
            throw new ConflictException("edge-proxy '" + edge.name() + "' has not reported the pin of its public TLS "
                    + "certificate yet (it does each time it connects to core); check `portcullis-admin status` and try "
                    + "again once it is CONNECTED");
        }
        try {
            return InviteLink.format(URI.create(edge.publicOrigin().orElseThrow()), token.reveal(),
                    TrustAnchorPin.decode(edge.pin().get()));
        } catch (IllegalArgumentException e) {
            throw new ConflictException("edge-proxy '" + edge.name() + "' has the public origin " + edge.publicOrigin().get()
                    + ", but invite links need an https origin; set one with `" + String.format(SET_ORIGIN, edge.name()) + "`");
        }
    }
}
