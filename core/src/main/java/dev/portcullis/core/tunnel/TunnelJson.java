package dev.portcullis.core.tunnel;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * The request and answer shapes of SESSION-API.md, read and written with the public API's strict
 * JSON ({@link dev.portcullis.core.enroll.PublicJson}). Shapes that hold a bearer value or a key
 * never print it.
 */
final class TunnelJson {

    private TunnelJson() {
    }

    // ---- requests ---------------------------------------------------------------------------------------

    record StartRequest(String location, String method) {
    }

    record FinishRequest(String attempt, String code) {
        @Override
        public String toString() {
            return "FinishRequest[<redacted>]";
        }
    }

    record TokenRequest(String token) {
        @Override
        public String toString() {
            return "TokenRequest[<redacted>]";
        }
    }

    record WebAuthnFinishRequest(String token, JsonNode credential) {
        @Override
        public String toString() {
            return "WebAuthnFinishRequest[<redacted>]";
        }
    }

    // ---- answers ------------------------------------------------------------------------------------------

    record Locations(List<LocationView> locations) {
    }

    record LocationView(String name, List<String> methods, long sessionLifetimeSeconds, long idleTimeoutSeconds,
                        boolean reauthOnEndpointChange, String address, Session session) {
    }

    record Started(String attempt, String method, String expiresAt, String browserUrl) {
        @Override
        public String toString() {
            return "Started[" + method + ", <redacted>]";
        }
    }

    record Waiting(String status, String expiresAt) {
    }

    record Finished(Session session) {
        @Override
        public String toString() {
            return "Finished[" + session + "]";
        }
    }

    record Sessions(List<Session> sessions) {
    }

    record Gateway(String name, String endpoint, String publicKey) {
    }

    /** SESSION; {@code presharedKey} only in finish's 200 (absent, not null, everywhere else). */
    record Session(String id, String location, String device, String method, String startedAt, String notAfter,
                   long idleTimeoutSeconds, String lastHandshake, String endpoint, String address, List<String> dns,
                   List<String> allowedIps, Integer mtu, List<Gateway> gateways,
                   @JsonInclude(JsonInclude.Include.NON_NULL) String presharedKey) {
        @Override
        public String toString() {
            return "Session[" + id + ", " + location + ", " + device + ", presharedKey=" + (presharedKey == null ? "none" : "<redacted>") + "]";
        }
    }

    record CodeRefused(String error, int attemptsLeft) {
    }

    record Locked(String error, boolean locked) {
    }

    record GatewayAck(String name, boolean acknowledged, String error) {
    }

    record NotAdmitted(String error, List<GatewayAck> gateways) {
    }

    record WebAuthnOptions(String user, String location, String device, JsonNode publicKey) {
    }
}
