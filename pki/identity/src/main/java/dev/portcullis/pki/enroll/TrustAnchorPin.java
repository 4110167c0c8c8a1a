package dev.portcullis.pki.enroll;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * The {@code #ca=} pin of an invite link: SHA-256 over the DER of the topmost certificate of the
 * chain the edge-proxy's public listener presents, written base64url without padding.
 */
public final class TrustAnchorPin {

    /** A SHA-256 digest. */
    public static final int BYTES = 32;
    /** base64url of 32 bytes without padding. */
    public static final int TEXT_LENGTH = 43;
    private static final Pattern TEXT = Pattern.compile("[A-Za-z0-9_-]{" + TEXT_LENGTH + "}");

    private TrustAnchorPin() {
    }

    /** The pin of a chain as a TLS server presents it (leaf first): the hash of its last certificate. */
    public static byte[] of(X509Certificate[] chain) {
        if (chain == null || chain.length == 0) {
            throw new IllegalArgumentException("a certificate chain to pin must hold at least one certificate");
        }
        return sha256(chain[chain.length - 1]);
    }

    /** SHA-256 over one certificate's DER encoding. */
    public static byte[] sha256(X509Certificate certificate) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
        } catch (CertificateEncodingException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot hash the certificate", e);
        }
    }

    /** base64url without padding, as the invite link carries it. */
    public static String encode(byte[] pin) {
        checkLength(pin);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(pin);
    }

    /**
     * Reads the text form strictly: exactly 43 base64url characters in canonical form (no
     * padding, no whitespace, unused low bits zero) that decode to 32 bytes.
     */
    public static byte[] decode(String text) {
        if (text == null || !TEXT.matcher(text).matches()) {
            throw new IllegalArgumentException("the #ca= pin must be 43 base64url characters (a SHA-256 digest)");
        }
        byte[] pin = Base64.getUrlDecoder().decode(text);
        if (pin.length != BYTES || !encode(pin).equals(text)) {
            throw new IllegalArgumentException("the #ca= pin must be 43 base64url characters (a SHA-256 digest)");
        }
        return pin;
    }

    static void checkLength(byte[] pin) {
        if (pin == null || pin.length != BYTES) {
            throw new IllegalArgumentException("a trust anchor pin is a 32-byte SHA-256 digest");
        }
    }
}
