package dev.portcullis.core.enroll;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import dev.portcullis.core.error.BadRequestException;
import java.io.IOException;
import java.util.Arrays;

/**
 * The public API's JSON, read strictly: one object, no unknown, duplicate or mistyped fields, nothing
 * after it. Every failure is the same 400 with a message that never echoes the input. Request and
 * answer shapes are the records below, named after the calls in {@code enrollment/API.md}.
 */
public final class PublicJson {

    static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .disable(JsonParser.Feature.ALLOW_COMMENTS)
            .build();

    static {
        // "token": 123 is not a token, and "kind": true is not a kind: no silent conversions to text.
        MAPPER.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
    }

    private PublicJson() {
    }

    public static <T> T read(byte[] body, Class<T> type) {
        if (body.length == 0 || firstNonSpace(body) != '{') {
            throw new BadRequestException("Send a JSON object as the request body.");
        }
        try {
            T value = MAPPER.readValue(body, type);
            if (value == null) {
                throw new BadRequestException("Send a JSON object as the request body.");
            }
            return value;
        } catch (IOException e) {
            throw new BadRequestException("The request is not valid JSON of the expected shape.");
        }
    }

    public static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write an answer", e);
        }
    }

    private static int firstNonSpace(byte[] body) {
        for (byte b : body) {
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                return b;
            }
        }
        return -1;
    }

    // ---- requests ---------------------------------------------------------------------------------------

    /** {@code {}}: the calls that take no input. */
    record Empty() {
    }

    /** An invite or reset token as typed: a secret until parsed and spent, so never printed. */
    record TokenRequest(String token) {
        @Override
        public String toString() {
            return "TokenRequest[<redacted>]";
        }
    }

    /** The password as characters, so it can be wiped once hashed. */
    record PasswordRequest(char[] password) {
        @Override
        public String toString() {
            return "PasswordRequest[<redacted>]";
        }

        @Override
        public boolean equals(Object o) {
            return this == o;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(this);
        }

        void wipe() {
            if (password != null) {
                Arrays.fill(password, '\0');
            }
        }
    }

    record TotpConfirmRequest(String code) {
        @Override
        public String toString() {
            return "TotpConfirmRequest[<redacted>]";
        }
    }

    record WebAuthnStartRequest(String nickname) {
    }

    /** The PublicKeyCredential, kept as a tree and handed to the WebAuthn library as JSON text. */
    record WebAuthnFinishRequest(JsonNode credential) {
    }

    record DeviceRequest(String name, String wireguardPublicKey, String credentialPublicKey, String kind) {
    }

    record ResetRequest(String email) {
    }

    record ResetPasswordRequest(char[] password, String secondFactor) {
        @Override
        public String toString() {
            return "ResetPasswordRequest[<redacted>]";
        }

        @Override
        public boolean equals(Object o) {
            return this == o;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(this);
        }

        void wipe() {
            if (password != null) {
                Arrays.fill(password, '\0');
            }
        }
    }

    // ---- answers ------------------------------------------------------------------------------------------

    record UserView(String name, String email, String displayName) {
    }

    record Requires(boolean totp, boolean webauthn) {
    }

    record Redeemed(UserView user, String csrf, String expiresAt, Requires requires, String passwordRules) {
        @Override
        public String toString() {
            return "Redeemed[" + user.name() + ", csrf=<redacted>]";
        }
    }

    record Steps(boolean password, boolean totp, int webauthn, boolean recoveryCodes, int devices) {
    }

    record SessionView(UserView user, Steps steps, Requires requires, String expiresAt) {
    }

    record TotpStarted(String secret, String otpauthUri) {
        @Override
        public String toString() {
            return "TotpStarted[<redacted>]";
        }
    }

    record RecoveryCodesShown(java.util.List<String> codes) {
        @Override
        public String toString() {
            return "RecoveryCodesShown[<redacted>]";
        }
    }

    record DeviceView(String id, String name, String kind) {
    }

    /** A gateway as a device configuration needs it; {@code name} is for the tunnel-session answers only. */
    public record GatewayView(@com.fasterxml.jackson.annotation.JsonIgnore String name, String endpoint, String publicKey) {
    }

    /** What a device needs to reach a location: its address there, DNS, routes, MTU and the gateways. */
    public record LocationConfig(String name, String address, java.util.List<String> dns, java.util.List<String> allowedIps,
                                 Integer mtu, java.util.List<GatewayView> gateways) {

        /**
         * The configuration of a device with {@code address} at {@code location}: the smallest MTU
         * any gateway reported (none when none did) and the gateways that reported an endpoint and key.
         */
        public static LocationConfig of(dev.portcullis.core.location.Location location, String address,
                                        java.util.List<dev.portcullis.core.location.Locations.LocationGateway> gateways) {
            int mtu = gateways.stream().mapToInt(dev.portcullis.core.location.Locations.LocationGateway::mtu)
                    .filter(m -> m > 0).min().orElse(0);
            return new LocationConfig(location.name(), address, location.dns(), location.allowedIps(), mtu > 0 ? mtu : null,
                    gateways.stream().filter(g -> g.endpoint().isPresent() && g.publicKey().isPresent())
                            .map(g -> new GatewayView(g.name(), g.endpoint().get(), g.publicKey().get().base64()))
                            .toList());
        }
    }

    record DeviceRegistered(DeviceView device, java.util.List<LocationConfig> locations) {
    }

    record Completed(UserView user, int devices) {
    }

    record ResetAccepted(String status) {
    }

    record ResetRedeemed(String csrf, String passwordRules, String expiresAt) {
        @Override
        public String toString() {
            return "ResetRedeemed[csrf=<redacted>]";
        }
    }

    public record Error(String error) {
    }
}
