package dev.portcullis.enrollment.webauthn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.UUID;

/**
 * A WebAuthn authenticator and browser in one, in software: an ES256 key, a credential ID, a
 * signature counter, and the client data, authenticator data and attestation object a real
 * browser would send (W3C WebAuthn Level 2, sections 5.8.1, 6.1, 6.5, 8.2 "packed" self
 * attestation and 8.7 "none"). The knobs let a test make it misbehave. Public for core's tunnel-MFA
 * tests (enrollment's test-jar).
 */
public final class SoftwareAuthenticator {

    static final UUID AAGUID = UUID.fromString("6d44ba9b-f6ec-2e49-b930-0c8fe920cb73");
    private static final byte FLAG_UP = 0x01;
    private static final byte FLAG_UV = 0x04;
    private static final byte FLAG_AT = 0x40;
    private static final int COSE_ES256 = -7;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
    private static final SecureRandom RANDOM = new SecureRandom();

    final KeyPair keyPair;
    public final byte[] credentialId = new byte[32];
    private byte[] userHandle;

    // Knobs, set by the test before an answer.
    public String origin;
    public boolean userVerified = true;
    public String attestationFormat = "packed";
    public long counter;
    String challengeOverride;
    PrivateKey signingKeyOverride;

    public SoftwareAuthenticator(String origin) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        this.keyPair = generator.generateKeyPair();
        RANDOM.nextBytes(credentialId);
        this.origin = origin;
    }

    /** navigator.credentials.create() with these options: returns the PublicKeyCredential JSON. */
    public String register(String optionsJson) throws Exception {
        JsonNode options = JSON.readTree(optionsJson).get("publicKey");
        String rpId = options.get("rp").get("id").asText();
        userHandle = Base64.getUrlDecoder().decode(options.get("user").get("id").asText());
        byte[] clientData = clientData("webauthn.create", challenge(options));
        byte[] authData = concat(
                sha256(rpId.getBytes(StandardCharsets.UTF_8)),
                new byte[] {(byte) (FLAG_UP | (userVerified ? FLAG_UV : 0) | FLAG_AT)},
                ByteBuffer.allocate(4).putInt((int) counter).array(),
                attestationFormat.equals("none") ? new byte[16] : uuidBytes(AAGUID),
                ByteBuffer.allocate(2).putShort((short) credentialId.length).array(),
                credentialId,
                coseKey());
        Cbor attStmt = new Cbor();
        if (attestationFormat.equals("packed")) {
            attStmt.map(2).text("alg").integer(COSE_ES256)
                    .text("sig").bytes(sign(concat(authData, sha256(clientData))));
        } else {
            attStmt.map(0);
        }
        byte[] attestationObject = concat(
                new Cbor().map(3).text("fmt").text(attestationFormat).text("attStmt").toByteArray(),
                attStmt.toByteArray(),
                new Cbor().text("authData").bytes(authData).toByteArray());
        ObjectNode response = JSON.createObjectNode()
                .put("clientDataJSON", B64URL.encodeToString(clientData))
                .put("attestationObject", B64URL.encodeToString(attestationObject));
        response.putArray("transports").add("usb").add("nfc");
        return credential(response);
    }

    /** navigator.credentials.get() with these options: returns the PublicKeyCredential JSON. */
    public String authenticate(String optionsJson) throws Exception {
        JsonNode options = JSON.readTree(optionsJson).get("publicKey");
        String rpId = options.get("rpId").asText();
        byte[] clientData = clientData("webauthn.get", challenge(options));
        byte[] authData = concat(
                sha256(rpId.getBytes(StandardCharsets.UTF_8)),
                new byte[] {(byte) (FLAG_UP | (userVerified ? FLAG_UV : 0))},
                ByteBuffer.allocate(4).putInt((int) counter).array());
        ObjectNode response = JSON.createObjectNode()
                .put("clientDataJSON", B64URL.encodeToString(clientData))
                .put("authenticatorData", B64URL.encodeToString(authData))
                .put("signature", B64URL.encodeToString(sign(concat(authData, sha256(clientData)))))
                .put("userHandle", B64URL.encodeToString(userHandle));
        return credential(response);
    }

    private String challenge(JsonNode options) {
        return challengeOverride != null ? challengeOverride : options.get("challenge").asText();
    }

    private byte[] clientData(String type, String challenge) throws Exception {
        ObjectNode clientData = JSON.createObjectNode()
                .put("type", type).put("challenge", challenge).put("origin", origin).put("crossOrigin", false);
        return JSON.writeValueAsBytes(clientData);
    }

    private String credential(ObjectNode response) throws Exception {
        ObjectNode credential = JSON.createObjectNode()
                .put("type", "public-key")
                .put("id", B64URL.encodeToString(credentialId))
                .put("rawId", B64URL.encodeToString(credentialId));
        credential.set("response", response);
        credential.putObject("clientExtensionResults");
        return JSON.writeValueAsString(credential);
    }

    /** COSE_Key (RFC 9052/9053) for an EC2 P-256 ES256 key: kty 2, alg -7, crv 1, x, y. */
    private byte[] coseKey() {
        ECPublicKey pub = (ECPublicKey) keyPair.getPublic();
        return new Cbor().map(5)
                .integer(1).integer(2)
                .integer(3).integer(COSE_ES256)
                .integer(-1).integer(1)
                .integer(-2).bytes(unsigned32(pub.getW().getAffineX()))
                .integer(-3).bytes(unsigned32(pub.getW().getAffineY()))
                .toByteArray();
    }

    private byte[] sign(byte[] data) throws Exception {
        Signature signer = Signature.getInstance("SHA256withECDSA");
        signer.initSign(signingKeyOverride != null ? signingKeyOverride : keyPair.getPrivate());
        signer.update(data);
        return signer.sign();
    }

    private static byte[] unsigned32(BigInteger value) {
        byte[] raw = value.toByteArray();
        byte[] out = new byte[32];
        int copy = Math.min(raw.length, 32);
        System.arraycopy(raw, raw.length - copy, out, 32 - copy, copy);
        return out;
    }

    private static byte[] uuidBytes(UUID uuid) {
        return ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits()).array();
    }

    static byte[] sha256(byte[] data) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
