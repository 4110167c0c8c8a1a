package dev.portcullis.agent.api;

import java.util.List;

/**
 * The answers of {@code /api/v1/enroll/*} (see {@code enrollment/API.md}). Answers are read
 * leniently (unknown fields ignored, so a newer core does not break an older agent); requests are
 * built exactly, because core refuses unknown fields.
 */
public final class EnrollmentApi {

    public static final String PREFIX = "/api/v1/enroll/";
    public static final String REDEEM = PREFIX + "redeem";
    public static final String PASSWORD = PREFIX + "password";
    public static final String TOTP_START = PREFIX + "totp/start";
    public static final String TOTP_CONFIRM = PREFIX + "totp/confirm";
    public static final String RECOVERY_CODES = PREFIX + "recovery-codes";
    public static final String DEVICES = PREFIX + "devices";
    public static final String COMPLETE = PREFIX + "complete";

    /** The enrollment session cookie redeem sets; its value is a bearer secret. */
    public static final String SESSION_COOKIE = "__Host-portcullis-enroll";
    /** The header carrying the CSRF value on every state-changing call after redeem. */
    public static final String CSRF_HEADER = "X-Portcullis-CSRF";
    /** The device kind of a device that runs this agent (API.md: {@code agent} or {@code config}). */
    public static final String KIND_AGENT = "agent";

    private EnrollmentApi() {
    }

    public record User(String name, String email, String displayName) {

        /** The display name, else the user name: what we greet the user with. */
        public String shownName() {
            return displayName != null && !displayName.isBlank() ? displayName : name;
        }
    }

    public record Requires(boolean totp, boolean webauthn) {
    }

    /** {@code POST redeem}. */
    public record Redeemed(User user, String csrf, String expiresAt, Requires requires, String passwordRules) {
        @Override
        public String toString() {
            return "Redeemed[user=" + user + ", csrf=<redacted>, expiresAt=" + expiresAt + ", requires=" + requires + "]";
        }
    }

    /** {@code POST totp/start}: the secret is shown once, to the user, on the terminal. */
    public record TotpStarted(String secret, String otpauthUri) {
        @Override
        public String toString() {
            return "TotpStarted[<redacted>]";
        }
    }

    /** {@code POST recovery-codes}: shown once, to the user, on the terminal. */
    public record RecoveryCodes(List<String> codes) {
        @Override
        public String toString() {
            return "RecoveryCodes[" + (codes == null ? 0 : codes.size()) + " codes, <redacted>]";
        }
    }

    public record Device(String id, String name, String kind) {
    }

    public record Gateway(String endpoint, String publicKey) {
    }

    public record Location(String name, String address, List<String> dns, List<String> allowedIps, Integer mtu,
                           List<Gateway> gateways) {
    }

    /** {@code POST devices} (201). */
    public record DeviceRegistered(Device device, List<Location> locations) {
    }

    /** {@code POST complete}. */
    public record Completed(User user, int devices) {
    }

    /** Every 4xx answer: a message the user can act on. */
    public record ErrorAnswer(String error) {
    }
}
