package dev.portcullis.gateway.admission;

import dev.portcullis.protocol.wireguard.PeerConfig;
import dev.portcullis.pki.wireguard.PresharedKey;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import dev.portcullis.protocol.link.ComponentHandler.ConfigRejectedException;
import dev.portcullis.protocol.net.Cidr;
import dev.portcullis.protocol.v1.PeerAdmission;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One device admitted to this gateway for one MFA session, validated once at the edge of this
 * module. {@code toString} never shows the preshared key.
 *
 * @param publicKey    the device's WireGuard public key
 * @param allowedIps   tunnel CIDRs the device may use as source (no duplicates, at least one)
 * @param presharedKey the session's preshared key
 * @param notAfter     when the gateway removes the peer by itself
 * @param sessionId    core's session id (not a secret), for logs and eviction reports
 */
public record Admission(WireGuardPublicKey publicKey, List<Cidr> allowedIps, PresharedKey presharedKey,
                        Instant notAfter, String sessionId) {

    /**
     * A device needs one IPv4 and one IPv6 tunnel address, plus perhaps a few routed subnets.
     * Every allowed IP is an entry in the interface's routing trie, so a peer must not be able to
     * make it grow without bound.
     */
    public static final int MAX_ALLOWED_IPS_PER_PEER = 16;
    /** Core's session ids are UUID-sized; they end up in log lines and telemetry. */
    public static final int MAX_SESSION_ID_LENGTH = 128;
    /**
     * An MFA session lasts hours. A not_after further out than this is a bug or a forged value,
     * and a peer that effectively never expires would defeat fail-closed expiry.
     */
    public static final Duration MAX_SESSION_LIFETIME = Duration.ofDays(31);

    public Admission {
        Objects.requireNonNull(publicKey, "publicKey");
        allowedIps = List.copyOf(allowedIps);
        Objects.requireNonNull(presharedKey, "presharedKey");
        Objects.requireNonNull(notAfter, "notAfter");
        Objects.requireNonNull(sessionId, "sessionId");
    }

    /**
     * Maps core's admission; refuses what must not reach the device with a message safe to send
     * back to core and to log (it never quotes key material).
     *
     * @param now the gateway's clock: a not_after at or before it is refused
     */
    public static Admission fromProto(PeerAdmission proto, Instant now) throws ConfigRejectedException {
        WireGuardPublicKey key = publicKey(proto.getPublicKey().toByteArray());
        if (proto.getPresharedKey().size() != PresharedKey.BYTES) {
            throw new ConfigRejectedException("admission for " + key + ": the preshared key must be "
                    + PresharedKey.BYTES + " bytes");
        }
        PresharedKey psk = PresharedKey.fromBytes(proto.getPresharedKey().toByteArray());
        if (proto.getAllowedIpsCount() == 0 || proto.getAllowedIpsCount() > MAX_ALLOWED_IPS_PER_PEER) {
            throw new ConfigRejectedException("admission for " + key + ": between 1 and " + MAX_ALLOWED_IPS_PER_PEER
                    + " allowed IPs are required");
        }
        Set<Cidr> allowed = new LinkedHashSet<>();
        for (String cidr : proto.getAllowedIpsList()) {
            try {
                allowed.add(Cidr.parseClearingHostBits(cidr));
            } catch (IllegalArgumentException e) {
                throw new ConfigRejectedException("admission for " + key + ": an allowed IP " + e.getMessage());
            }
        }
        String session = proto.getSessionId();
        if (session.length() > MAX_SESSION_ID_LENGTH || session.chars().anyMatch(Character::isISOControl)) {
            throw new ConfigRejectedException("admission for " + key + ": the session id must be at most "
                    + MAX_SESSION_ID_LENGTH + " printable characters");
        }
        Instant notAfter = Instant.ofEpochMilli(proto.getNotAfterUnixMillis());
        if (!notAfter.isAfter(now)) {
            throw new ConfigRejectedException("admission for " + key + " (session " + session + ") has already expired "
                    + "by this gateway's clock (not_after " + notAfter + ", now " + now + ")");
        }
        if (notAfter.isAfter(now.plus(MAX_SESSION_LIFETIME))) {
            throw new ConfigRejectedException("admission for " + key + ": not_after is more than "
                    + MAX_SESSION_LIFETIME.toDays() + " days ahead");
        }
        return new Admission(key, List.copyOf(allowed), psk, notAfter, session);
    }

    /** A public key from core, refused with a safe message unless it is 32 bytes. */
    static WireGuardPublicKey publicKey(byte[] bytes) throws ConfigRejectedException {
        if (bytes.length != WireGuardPublicKey.BYTES) {
            throw new ConfigRejectedException("a peer public key must be " + WireGuardPublicKey.BYTES + " bytes, got "
                    + bytes.length);
        }
        return WireGuardPublicKey.fromBytes(bytes);
    }

    /** What the device is told. */
    PeerConfig peerConfig() {
        return new PeerConfig(publicKey, presharedKey, allowedIps.stream().map(Cidr::toString).toList());
    }

    @Override
    public String toString() {
        return "Admission[" + publicKey + ", allowedIps=" + allowedIps + ", notAfter=" + notAfter + ", session="
                + sessionId + ", psk=<redacted>]";
    }
}
