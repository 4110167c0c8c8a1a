package dev.portcullis.gateway.bench;

import com.google.protobuf.ByteString;
import dev.portcullis.pki.wireguard.PresharedKey;
import dev.portcullis.pki.wireguard.WireGuardPrivateKey;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import dev.portcullis.protocol.v1.PeerAdmission;
import dev.portcullis.protocol.v1.PeerEviction;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Admissions as core sends them: a fresh device key, a fresh preshared key, one tunnel /32, an 8-hour session. */
final class BenchPeers {

    /** A working day's session: far enough out that nothing expires during a run. */
    static final Duration SESSION = Duration.ofHours(8);

    private BenchPeers() {
    }

    /** Peer {@code index}'s admission; tunnel addresses 10.(64 + index / 65,536).x.y/32 are unique up to 4 million. */
    static PeerAdmission admission(int index) {
        WireGuardPublicKey key = WireGuardPrivateKey.generate().publicKey();
        return PeerAdmission.newBuilder()
                .setPublicKey(ByteString.copyFrom(key.bytes()))
                .setPresharedKey(ByteString.copyFrom(PresharedKey.generate().bytes()))
                .addAllowedIps(tunnelAddress(index) + "/32")
                .setNotAfterUnixMillis(Instant.now().plus(SESSION).toEpochMilli())
                .setSessionId("bench-session-" + index)
                .build();
    }

    static List<PeerAdmission> admissions(int first, int count) {
        List<PeerAdmission> list = new ArrayList<>(count);
        for (int i = first; i < first + count; i++) {
            list.add(admission(i));
        }
        return list;
    }

    static String tunnelAddress(int index) {
        return "10." + (64 + index / 65_536) + "." + (index / 256 % 256) + "." + (index % 256);
    }

    static PeerEviction eviction(PeerAdmission admitted) {
        return PeerEviction.newBuilder().setPublicKey(admitted.getPublicKey()).build();
    }

    static WireGuardPublicKey publicKey(PeerAdmission admitted) {
        return WireGuardPublicKey.fromBytes(admitted.getPublicKey().toByteArray());
    }
}
