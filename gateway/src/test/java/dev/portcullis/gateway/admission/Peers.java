package dev.portcullis.gateway.admission;

import com.google.protobuf.ByteString;
import dev.portcullis.pki.wireguard.PresharedKey;
import dev.portcullis.pki.wireguard.WireGuardPrivateKey;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import dev.portcullis.protocol.v1.PeerAdmission;
import dev.portcullis.protocol.v1.PeerEviction;
import java.time.Instant;

/** Test devices: a fresh key pair and admissions for it. */
final class Peers {

    private Peers() {
    }

    static WireGuardPublicKey newKey() {
        return WireGuardPrivateKey.generate().publicKey();
    }

    static PeerAdmission admission(WireGuardPublicKey key, PresharedKey psk, Instant notAfter, String... allowedIps) {
        return PeerAdmission.newBuilder()
                .setPublicKey(ByteString.copyFrom(key.bytes()))
                .setPresharedKey(ByteString.copyFrom(psk.bytes()))
                .addAllAllowedIps(java.util.List.of(allowedIps))
                .setNotAfterUnixMillis(notAfter.toEpochMilli())
                .setSessionId("session-" + key.hex().substring(0, 8))
                .build();
    }

    static PeerEviction eviction(WireGuardPublicKey key) {
        return PeerEviction.newBuilder().setPublicKey(ByteString.copyFrom(key.bytes())).build();
    }
}
