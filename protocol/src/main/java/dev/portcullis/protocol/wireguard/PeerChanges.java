package dev.portcullis.protocol.wireguard;

import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import java.util.List;

/** One device transaction: peers to add or update, and peers to remove. */
public record PeerChanges(List<PeerConfig> upserts, List<WireGuardPublicKey> removals) {

    public PeerChanges {
        upserts = List.copyOf(upserts);
        removals = List.copyOf(removals);
    }

    public static PeerChanges upsert(PeerConfig peer) {
        return new PeerChanges(List.of(peer), List.of());
    }

    public static PeerChanges remove(WireGuardPublicKey peer) {
        return new PeerChanges(List.of(), List.of(peer));
    }

    public boolean isEmpty() {
        return upserts.isEmpty() && removals.isEmpty();
    }
}
