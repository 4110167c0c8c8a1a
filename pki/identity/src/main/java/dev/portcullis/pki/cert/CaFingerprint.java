package dev.portcullis.pki.cert;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.HexFormat;

/** SHA-256 over a CA certificate's DER encoding: what a join token pins before any certificate is trusted. */
public final class CaFingerprint {

    private static final int LENGTH = 32;
    private final byte[] sha256;

    private CaFingerprint(byte[] sha256) {
        if (sha256.length != LENGTH) {
            throw new IllegalArgumentException("a CA fingerprint is 32 bytes");
        }
        this.sha256 = sha256.clone();
    }

    public static CaFingerprint of(X509Certificate ca) {
        try {
            return new CaFingerprint(MessageDigest.getInstance("SHA-256").digest(ca.getEncoded()));
        } catch (CertificateEncodingException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot fingerprint certificate", e);
        }
    }

    public static CaFingerprint fromBytes(byte[] sha256) {
        return new CaFingerprint(sha256);
    }

    public static CaFingerprint fromHex(String hex) {
        return new CaFingerprint(HexFormat.of().parseHex(hex));
    }

    public byte[] bytes() {
        return sha256.clone();
    }

    public String hex() {
        return HexFormat.of().formatHex(sha256);
    }

    /** Constant time: a fingerprint is public, but we never want to teach anyone to compare keys with equals. */
    public boolean matches(X509Certificate candidate) {
        return MessageDigest.isEqual(sha256, of(candidate).sha256);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CaFingerprint other && MessageDigest.isEqual(sha256, other.sha256);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(sha256);
    }

    @Override
    public String toString() {
        return "sha256:" + hex();
    }
}
