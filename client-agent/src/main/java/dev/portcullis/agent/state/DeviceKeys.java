package dev.portcullis.agent.state;

import dev.portcullis.pki.cert.KeyPairs;
import dev.portcullis.pki.wireguard.WireGuardPrivateKey;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.Base64;

/**
 * The two key pairs a device generates for itself at enrollment: its WireGuard (Curve25519) key
 * and its device credential (EC P-256), with which it will start tunnel sessions. Only the public
 * halves leave this object for the network; the private halves go only to {@link StateDirectory}.
 * {@code toString} never shows a private key.
 */
public final class DeviceKeys {

    private final WireGuardPrivateKey wireguard;
    private final KeyPair credential;

    private DeviceKeys(WireGuardPrivateKey wireguard, KeyPair credential) {
        this.wireguard = wireguard;
        this.credential = credential;
    }

    /** Generates both key pairs on this host. */
    public static DeviceKeys generate() {
        return new DeviceKeys(WireGuardPrivateKey.generate(), KeyPairs.generate());
    }

    public WireGuardPublicKey wireguardPublicKey() {
        return wireguard.publicKey();
    }

    public PublicKey credentialPublicKey() {
        return credential.getPublic();
    }

    /** The device credential's public key as API.md sends it: base64 of the SPKI DER. */
    public String credentialPublicKeyBase64() {
        return Base64.getEncoder().encodeToString(credential.getPublic().getEncoded());
    }

    WireGuardPrivateKey wireguardPrivateKey() {
        return wireguard;
    }

    PrivateKey credentialPrivateKey() {
        return credential.getPrivate();
    }

    @Override
    public String toString() {
        return "DeviceKeys[wireguard=" + wireguardPublicKey() + ", private keys=<redacted>]";
    }
}
