package dev.portcullis.agent.api;

import java.util.List;

/**
 * The requests and answers of {@code /api/v1/tunnel/*} (see {@code client-agent/SESSION-API.md}).
 * Answers are read leniently (unknown fields ignored); requests are built exactly.
 */
public final class TunnelApi {

    public static final String PREFIX = "/api/v1/tunnel/";
    public static final String LOCATIONS = PREFIX + "locations";
    public static final String SESSIONS = PREFIX + "sessions";
    public static final String FINISH = PREFIX + "sessions/finish";
    /** The header carrying the device signature on every call. */
    public static final String DEVICE_AUTH_HEADER = "X-Portcullis-Device-Auth";

    private TunnelApi() {
    }

    /** {@code GET locations}. */
    public record Locations(List<Location> locations) {
        public Locations {
            locations = locations == null ? List.of() : List.copyOf(locations);
        }
    }

    /** One location this device may open a tunnel to; {@code session} is its live session, if any. */
    public record Location(String name, List<String> methods, Long sessionLifetimeSeconds, Long idleTimeoutSeconds,
                           Boolean reauthOnEndpointChange, String address, Session session) {
        public Location {
            methods = methods == null ? List.of() : List.copyOf(methods);
        }
    }

    public record Gateway(String name, String endpoint, String publicKey) {
    }

    /**
     * SESSION. {@code presharedKey} is only in finish's 200 and in the saved session file;
     * {@code toString} never shows it.
     */
    public record Session(String id, String location, String device, String method, String startedAt, String notAfter,
                          Long idleTimeoutSeconds, String lastHandshake, String endpoint, String address, List<String> dns,
                          List<String> allowedIps, Integer mtu, List<Gateway> gateways, String presharedKey) {
        public Session {
            dns = dns == null ? List.of() : List.copyOf(dns);
            allowedIps = allowedIps == null ? List.of() : List.copyOf(allowedIps);
            gateways = gateways == null ? List.of() : List.copyOf(gateways);
        }

        /** The same session without its key: what may be printed or sent to a script. */
        public Session withoutKey() {
            return new Session(id, location, device, method, startedAt, notAfter, idleTimeoutSeconds, lastHandshake, endpoint,
                    address, dns, allowedIps, mtu, gateways, null);
        }

        @Override
        public String toString() {
            return "Session[" + id + ", location=" + location + ", notAfter=" + notAfter + ", presharedKey="
                    + (presharedKey == null ? "none" : "<redacted>") + "]";
        }
    }

    /** {@code GET sessions}. */
    public record Sessions(List<Session> sessions) {
        public Sessions {
            sessions = sessions == null ? List.of() : List.copyOf(sessions);
        }
    }

    /** {@code POST sessions} (201). The attempt is a bearer value for this device's finish calls. */
    public record Started(String attempt, String method, String expiresAt, String browserUrl) {
        @Override
        public String toString() {
            return "Started[attempt=<redacted>, method=" + method + ", expiresAt=" + expiresAt + "]";
        }
    }

    /** {@code POST sessions/finish} 200. */
    public record Admitted(Session session) {
    }

    /** {@code POST sessions/finish} 202, 401, 409, 429: any of the fields may be set. */
    public record FinishRefusal(String error, String status, String expiresAt, Integer attemptsLeft, Boolean locked) {
    }
}
