package dev.portcullis.agent.tunnel;

import dev.portcullis.agent.outcome.AgentFailure;
import dev.portcullis.agent.outcome.ExitCode;
import dev.portcullis.pki.cert.KeyPairs;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Signs tunnel requests with the device credential, exactly as SESSION-API.md says:
 * {@code X-Portcullis-Device-Auth: v1 device=<uuid>, time=<millis>, signature=<base64url DER>}
 * over {@code portcullis-device-v1\n<METHOD>\n<path?query>\n<time>\n<hex SHA-256 of the body>}.
 * {@code toString} never shows the key.
 */
public final class DeviceSigner {

    static final String CONTEXT = "portcullis-device-v1";

    private final String deviceId;
    private final PrivateKey credential;

    public DeviceSigner(String deviceId, PrivateKey credential) {
        this.deviceId = Objects.requireNonNull(deviceId, "deviceId");
        this.credential = Objects.requireNonNull(credential, "credential");
        if (!deviceId.matches("[0-9A-Za-z-]{1,64}")) {
            throw AgentFailure.localState("the device id in enrollment.json is malformed; enroll again with --force");
        }
    }

    /** The bytes that are signed. */
    static byte[] signedBytes(String method, String pathAndQuery, long timeMillis, byte[] body) {
        return (CONTEXT + "\n" + method + "\n" + pathAndQuery + "\n" + timeMillis + "\n" + sha256Hex(body))
                .getBytes(StandardCharsets.UTF_8);
    }

    /** The header value for one request. */
    public String header(String method, String pathAndQuery, Instant now, byte[] body) {
        long time = now.toEpochMilli();
        try {
            Signature signature = Signature.getInstance(KeyPairs.SIGNATURE_ALGORITHM);
            signature.initSign(credential);
            signature.update(signedBytes(method, pathAndQuery, time, body));
            String encoded = Base64.getUrlEncoder().withoutPadding().encodeToString(signature.sign());
            return "v1 device=" + deviceId + ", time=" + time + ", signature=" + encoded;
        } catch (GeneralSecurityException e) {
            throw new AgentFailure(ExitCode.LOCAL_STATE, "cannot sign with the device credential; enroll again with --force", e);
        }
    }

    static String sha256Hex(byte[] body) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is a required algorithm", e);
        }
    }

    @Override
    public String toString() {
        return "DeviceSigner[" + deviceId + ", key=<redacted>]";
    }
}
