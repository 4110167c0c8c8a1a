package dev.portcullis.core.tunnel;

import dev.portcullis.core.enroll.PublicRequests;
import dev.portcullis.core.error.TooManyRequestsException;
import dev.portcullis.core.error.UnauthorizedException;
import dev.portcullis.core.identity.DeviceKind;
import dev.portcullis.core.identity.DeviceState;
import dev.portcullis.core.identity.UserState;
import dev.portcullis.core.store.Database;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import dev.portcullis.protocol.v1.ProxyRequest;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who sent a {@code /api/v1/tunnel/*} request: the agent signs each one with the P-256 device
 * credential it generated at enrollment (core holds only the public half). Steps: read the header;
 * check the clock skew; find the device and its user; verify the signature over the canonical
 * string; require an ACTIVE agent device of an ACTIVE user; refuse a request already accepted.
 * Every refusal but the clock's is the same neutral 401: no answer tells an unknown device from a
 * disabled one or a bad signature.
 */
final class DeviceAuthentication {

    /**
     * Every tunnel call is verified here, so this is the hottest code of an authorization:
     * BouncyCastle's P-256 verifies about eight times faster than the JDK 17 provider (0.12 vs
     * 1.05 ms here; see BENCHMARKS.md). An instance of our own, not installed JVM-wide.
     */
    private static final Provider BOUNCY_CASTLE = new BouncyCastleProvider();

    private static final Logger LOG = LoggerFactory.getLogger(DeviceAuthentication.class);
    static final String HEADER = "x-portcullis-device-auth";
    static final String CANONICAL_PREFIX = "portcullis-device-v1";
    /** As SESSION-API.md fixes it: an NTP-less laptop drifts less than this, and a captured request dies soon. */
    static final Duration MAX_SKEW = Duration.ofSeconds(120);
    /** A well-formed header is under 200 characters; anything far longer is not read. */
    static final int MAX_HEADER_CHARS = 512;
    static final String NOT_RECOGNISED = "This device is not recognised. Enroll it again with a new invite.";
    static final String CLOCK_OFF = "The device's clock is more than 2 minutes off. Correct it and try again.";
    /** A device that sends more than {@link ReplayCache#MAX_PER_DEVICE} requests in the window waits this long. */
    static final long BUSY_RETRY_SECONDS = 30;

    // v1 device=<uuid>, time=<unix millis>, signature=<base64url DER, no padding (a P-256 DER signature is at most 72 bytes)>
    private static final Pattern FORMAT = Pattern.compile(
            "v1 device=([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}),\\s?"
                    + "time=(0|[1-9][0-9]{0,15}),\\s?signature=([A-Za-z0-9_-]{8,128})");

    /** A device whose signature verified: what the tunnel calls act for. */
    record AuthenticatedDevice(UUID deviceId, String device, UUID userId, String user, WireGuardPublicKey publicKey) {
    }

    private final Database database;
    private final Clock clock;
    private final ReplayCache accepted;

    DeviceAuthentication(Database database, Clock clock, ReplayCache accepted) {
        this.database = database;
        this.clock = clock;
        this.accepted = accepted;
    }

    AuthenticatedDevice authenticate(ProxyRequest request) {
        Matcher header = PublicRequests.header(request, HEADER)
                .filter(value -> value.length() <= MAX_HEADER_CHARS)
                .map(FORMAT::matcher)
                .filter(Matcher::matches)
                .orElseThrow(DeviceAuthentication::notRecognised);
        UUID deviceId = UUID.fromString(header.group(1));
        long time = Long.parseLong(header.group(2));
        byte[] signature;
        try {
            signature = Base64.getUrlDecoder().decode(header.group(3));
        } catch (IllegalArgumentException e) {
            throw notRecognised();
        }
        if (Math.abs(clock.millis() - time) > MAX_SKEW.toMillis()) {
            throw new UnauthorizedException(CLOCK_OFF);
        }
        Stored stored = lookUp(deviceId).orElseThrow(() -> refused(deviceId, "unknown device"));
        byte[] canonical = canonical(request, time);
        if (!verifies(stored.credentialSpki(), canonical, signature)) {
            throw refused(deviceId, "bad signature");
        }
        if (stored.kind() != DeviceKind.AGENT || stored.state() != DeviceState.ACTIVE || stored.userState() != UserState.ACTIVE) {
            throw refused(deviceId, "device " + stored.state() + " " + stored.kind() + ", user " + stored.userState());
        }
        switch (accepted.accept(deviceId, sha256(deviceId.toString().getBytes(StandardCharsets.US_ASCII), canonical))) {
            case REPLAYED -> throw refused(deviceId, "replayed request");
            case FULL -> throw new TooManyRequestsException("Too many requests from this device. Wait "
                    + BUSY_RETRY_SECONDS + " seconds and try again.", BUSY_RETRY_SECONDS);
            case FIRST_USE -> {
            }
        }
        return new AuthenticatedDevice(deviceId, stored.device(), stored.userId(), stored.user(), stored.publicKey());
    }

    /** {@code portcullis-device-v1\n<METHOD>\n<path with query>\n<time>\n<hex SHA-256 of the body>} as UTF-8. */
    static byte[] canonical(ProxyRequest request, long time) {
        String text = CANONICAL_PREFIX + "\n" + request.getMethod() + "\n" + request.getPath() + "\n" + time + "\n"
                + HexFormat.of().formatHex(sha256(request.getBody().toByteArray()));
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private record Stored(String device, DeviceKind kind, DeviceState state, byte[] credentialSpki,
                          WireGuardPublicKey publicKey, UUID userId, String user, UserState userState) {
    }

    private Optional<Stored> lookUp(UUID deviceId) {
        return database.inTransaction(connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT d.name, d.kind, d.state, d.credential_spki, d.wireguard_public_key, u.id AS user_id, "
                            + "u.name AS user_name, u.state AS user_state FROM devices d JOIN users u ON u.id = d.user_id "
                            + "WHERE d.id = ?")) {
                select.setObject(1, deviceId);
                try (ResultSet rs = select.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.<Stored>empty();
                    }
                    return Optional.of(new Stored(rs.getString("name"), DeviceKind.valueOf(rs.getString("kind")),
                            DeviceState.valueOf(rs.getString("state")), rs.getBytes("credential_spki"),
                            WireGuardPublicKey.fromBytes(rs.getBytes("wireguard_public_key")),
                            rs.getObject("user_id", UUID.class), rs.getString("user_name"),
                            UserState.valueOf(rs.getString("user_state"))));
                }
            }
        });
    }

    private static boolean verifies(byte[] spki, byte[] canonical, byte[] signature) {
        if (spki == null) {
            return false; // a CONFIG device has no credential
        }
        try {
            // The stored key passed DeviceCredentialKey's checks (P-256, on the curve) at registration.
            Signature verifier = Signature.getInstance("SHA256withECDSA", BOUNCY_CASTLE);
            verifier.initVerify(KeyFactory.getInstance("EC", BOUNCY_CASTLE).generatePublic(new X509EncodedKeySpec(spki)));
            verifier.update(canonical);
            return verifier.verify(signature);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false; // malformed DER, or a stored key that no longer parses
        }
    }

    private static byte[] sha256(byte[]... parts) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (byte[] part : parts) {
                digest.update(part);
            }
            return digest.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JRE lacks SHA-256", e);
        }
    }

    private static UnauthorizedException refused(UUID deviceId, String why) {
        LOG.info("tunnel request as device {} refused: {}", deviceId, why);
        return notRecognised();
    }

    private static UnauthorizedException notRecognised() {
        return new UnauthorizedException(NOT_RECOGNISED);
    }
}
