package dev.portcullis.pki.tls;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Objects;

/** A private key and the certificate chain presented with it. {@code toString} never shows the key. */
public final class KeyMaterial {

    private final PrivateKey privateKey;
    private final X509Certificate[] chain;

    public KeyMaterial(PrivateKey privateKey, X509Certificate... chain) {
        this.privateKey = Objects.requireNonNull(privateKey, "privateKey");
        if (chain == null || chain.length == 0) {
            throw new IllegalArgumentException("a certificate chain needs at least the leaf");
        }
        this.chain = chain.clone();
    }

    public PrivateKey privateKey() {
        return privateKey;
    }

    public X509Certificate[] chain() {
        return chain.clone();
    }

    public X509Certificate leaf() {
        return chain[0];
    }

    @Override
    public String toString() {
        return "KeyMaterial[subject=" + chain[0].getSubjectX500Principal().getName()
                + ", chain=" + chain.length + ", key=<redacted>]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KeyMaterial other && privateKey.equals(other.privateKey) && Arrays.equals(chain, other.chain);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(chain);
    }
}
