package dev.portcullis.gateway.admission;

import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import java.time.Instant;
import java.util.Objects;

/**
 * What survives a gateway restart about one admitted peer: who, until when, and which session.
 * Deliberately no preshared key and no allowed IPs: secrets never touch the gateway's disk, and
 * after a restart the device and core's next snapshot are the truth for everything else.
 */
public record AdmissionRecord(WireGuardPublicKey publicKey, Instant notAfter, String sessionId) {

    public AdmissionRecord {
        Objects.requireNonNull(publicKey, "publicKey");
        Objects.requireNonNull(notAfter, "notAfter");
        Objects.requireNonNull(sessionId, "sessionId");
    }

    static AdmissionRecord of(Admission admission) {
        return new AdmissionRecord(admission.publicKey(), admission.notAfter(), admission.sessionId());
    }
}
