package dev.portcullis.core.audit;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The public half of core's audit signing key (Ed25519): what an auditor needs, with an export, to
 * verify the log offline. Exported as PEM ({@code -----BEGIN PUBLIC KEY-----}, X.509
 * SubjectPublicKeyInfo), readable by {@code openssl pkey -pubin}. Its id is the first 8 bytes of
 * the SHA-256 of that DER encoding, in hex; checkpoints and segments name the key that signed them by it.
 */
public final class AuditPublicKey {

    static final String ALGORITHM = "Ed25519";
    private static final String PEM_BEGIN = "-----BEGIN PUBLIC KEY-----";
    private static final String PEM_END = "-----END PUBLIC KEY-----";
    /** An Ed25519 SubjectPublicKeyInfo is 44 bytes; anything much larger is not one. */
    private static final int MAX_DER_BYTES = 128;
    private static final int KEY_ID_BYTES = 8;

    private final PublicKey key;
    private final byte[] der;
    private final String keyId;

    private AuditPublicKey(PublicKey key, byte[] der) {
        this.key = key;
        this.der = der;
        this.keyId = HexFormat.of().formatHex(Arrays.copyOf(RecordDigest.sha256().digest(der), KEY_ID_BYTES));
    }

    static AuditPublicKey of(PublicKey key) {
        return fromDer(key.getEncoded());
    }

    /** Parses an X.509 SubjectPublicKeyInfo holding an Ed25519 key. */
    public static AuditPublicKey fromDer(byte[] der) {
        if (der == null || der.length > MAX_DER_BYTES) {
            throw new IllegalArgumentException("not an Ed25519 public key");
        }
        try {
            PublicKey key = KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(der));
            return new AuditPublicKey(key, key.getEncoded());
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException("not an Ed25519 public key");
        }
    }

    /** Parses the PEM this class writes (text around the block is ignored). */
    public static AuditPublicKey fromPem(String pem) {
        int begin = pem.indexOf(PEM_BEGIN);
        int end = pem.indexOf(PEM_END);
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("not a PEM public key (expected " + PEM_BEGIN + ")");
        }
        String body = pem.substring(begin + PEM_BEGIN.length(), end).replaceAll("\\s", "");
        try {
            return fromDer(Base64.getDecoder().decode(body));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not an Ed25519 public key in PEM");
        }
    }

    public String keyId() {
        return keyId;
    }

    public byte[] der() {
        return der.clone();
    }

    public String pem() {
        String base64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return PEM_BEGIN + "\n" + base64 + "\n" + PEM_END + "\n";
    }

    /** True if {@code signature} is this key's Ed25519 signature of {@code message}. */
    public boolean verify(byte[] message, byte[] signature) {
        if (signature == null || signature.length != AuditCheckpoint.SIGNATURE_BYTES) {
            return false;
        }
        try {
            Signature verifier = Signature.getInstance(ALGORITHM);
            verifier.initVerify(key);
            verifier.update(message);
            return verifier.verify(signature);
        } catch (InvalidKeyException | SignatureException e) {
            return false;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 is not available", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AuditPublicKey other && MessageDigest.isEqual(der, other.der);
    }

    @Override
    public int hashCode() {
        return keyId.hashCode();
    }

    @Override
    public String toString() {
        return "AuditPublicKey[" + keyId + "]";
    }
}
