package dev.portcullis.enrollment.device;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECFieldFp;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.EllipticCurve;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The public half of an agent device's credential: an EC P-256 key generated on the device, whose
 * private half never leaves it. The agent proves possession of it when it starts a tunnel session.
 * <p>
 * {@link #fromBase64Spki} accepts only a canonical X.509 SubjectPublicKeyInfo (named curve
 * secp256r1, uncompressed point, DER exactly as the JDK would encode it) whose point lies on the
 * curve; anything else is refused with a message safe to show the user.
 */
public final class DeviceCredentialKey {

    /**
     * Longest base64 text looked at: a P-256 SPKI is 91 bytes, 124 base64 characters; 256 leaves room
     * for line breaks stripped by a client and still refuses megabytes before decoding anything.
     */
    public static final int MAX_TEXT_LENGTH = 256;
    /** The only curve accepted: what WebCrypto, Android Keystore, the Secure Enclave and TPMs all provide. */
    static final String CURVE = "secp256r1";

    static final String NOT_P256 = "The device credential must be the base64 SubjectPublicKeyInfo (DER) of an EC P-256 public key.";

    private static final ECParameterSpec P256 = p256();

    private final byte[] spki;

    private DeviceCredentialKey(byte[] spki) {
        this.spki = spki.clone();
    }

    /**
     * Parses the agent's {@code credentialPublicKey}: standard base64 of the DER SPKI.
     *
     * @throws IllegalArgumentException with {@link #NOT_P256}-style text (safe to show) for anything
     *         but a valid P-256 public key: garbage, other curves, RSA, explicit parameters, points
     *         off the curve, oversized input
     */
    public static DeviceCredentialKey fromBase64Spki(String base64) {
        if (base64 == null || base64.isEmpty() || base64.length() > MAX_TEXT_LENGTH) {
            throw new IllegalArgumentException(NOT_P256);
        }
        byte[] der;
        try {
            der = Base64.getDecoder().decode(base64.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(NOT_P256);
        }
        PublicKey key;
        try {
            key = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(der));
        } catch (GeneralSecurityException | RuntimeException e) {
            // RuntimeException too: some providers throw unchecked exceptions on malformed DER.
            throw new IllegalArgumentException(NOT_P256);
        }
        if (!(key instanceof ECPublicKey ec)
                || !sameCurve(ec.getParams(), P256)
                || !onCurve(ec.getW(), P256.getCurve())
                // Canonical only: refuses explicit parameters, trailing bytes and compressed points.
                || !Arrays.equals(ec.getEncoded(), der)) {
            throw new IllegalArgumentException(NOT_P256);
        }
        return new DeviceCredentialKey(der);
    }

    /** The DER SubjectPublicKeyInfo, as stored by core. A fresh copy. */
    public byte[] spki() {
        return spki.clone();
    }

    /** The standard base64 of {@link #spki()}, the form the API carries. */
    public String base64() {
        return Base64.getEncoder().encodeToString(spki);
    }

    /** Lower-case hex SHA-256 of the SPKI, for the admin UI and audit records. */
    public String fingerprint() {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(spki));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JRE lacks SHA-256", e);
        }
    }

    /** The key, for verifying the device's signatures. */
    public ECPublicKey publicKey() {
        try {
            return (ECPublicKey) KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(spki));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("a validated key no longer parses", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DeviceCredentialKey other && Arrays.equals(spki, other.spki);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(spki);
    }

    /** A public key: showing its fingerprint is fine. */
    @Override
    public String toString() {
        return "DeviceCredentialKey[P-256 sha256=" + fingerprint() + "]";
    }

    private static boolean sameCurve(ECParameterSpec a, ECParameterSpec b) {
        return a != null
                && a.getCurve().getField().equals(b.getCurve().getField())
                && a.getCurve().getA().equals(b.getCurve().getA())
                && a.getCurve().getB().equals(b.getCurve().getB())
                && a.getGenerator().equals(b.getGenerator())
                && a.getOrder().equals(b.getOrder())
                && a.getCofactor() == b.getCofactor();
    }

    /** y² = x³ + ax + b (mod p), with both coordinates reduced: the JDK's KeyFactory does not check it. */
    static boolean onCurve(ECPoint w, EllipticCurve curve) {
        if (w == null || ECPoint.POINT_INFINITY.equals(w) || !(curve.getField() instanceof ECFieldFp field)) {
            return false;
        }
        BigInteger p = field.getP();
        BigInteger x = w.getAffineX();
        BigInteger y = w.getAffineY();
        if (x.signum() < 0 || y.signum() < 0 || x.compareTo(p) >= 0 || y.compareTo(p) >= 0) {
            return false;
        }
        BigInteger left = y.multiply(y).mod(p);
        BigInteger right = x.pow(3).add(curve.getA().multiply(x)).add(curve.getB()).mod(p);
        return left.equals(right);
    }

    private static ECParameterSpec p256() {
        try {
            AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
            parameters.init(new ECGenParameterSpec(CURVE));
            return parameters.getParameterSpec(ECParameterSpec.class);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JRE lacks " + CURVE, e);
        }
    }
}
