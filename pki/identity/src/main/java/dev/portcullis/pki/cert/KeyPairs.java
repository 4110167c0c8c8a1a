package dev.portcullis.pki.cert;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;

/**
 * Key pairs for certificates: EC P-256. Ed25519 would be nicer, but BoringSSL-based TLS
 * stacks reject Ed25519 certificates, and every component must interoperate with them.
 */
public final class KeyPairs {

    public static final String CURVE = "secp256r1";
    public static final String SIGNATURE_ALGORITHM = "SHA256withECDSA";

    private KeyPairs() {
    }

    /** Generates a key pair on this host. Private keys never leave the host that calls this. */
    public static KeyPair generate() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec(CURVE), new SecureRandom());
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("EC P-256 is not available in this JDK", e);
        }
    }
}
