package dev.portcullis.enrollment.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECPoint;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class DeviceCredentialKeyTest {

    private static KeyPair ec(String curve) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec(curve));
        return generator.generateKeyPair();
    }

    private static String b64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    @Test
    void aP256SpkiIsAcceptedAndKeptByteForByte() throws Exception {
        KeyPair pair = ec("secp256r1");
        byte[] spki = pair.getPublic().getEncoded();
        DeviceCredentialKey key = DeviceCredentialKey.fromBase64Spki(b64(spki));
        assertThat(key.spki()).isEqualTo(spki);
        assertThat(key.base64()).isEqualTo(b64(spki));
        assertThat(key).isEqualTo(DeviceCredentialKey.fromBase64Spki(b64(spki)));
    }

    @Test
    void theFingerprintIsTheSha256HexOfTheSpki() throws Exception {
        byte[] spki = ec("secp256r1").getPublic().getEncoded();
        DeviceCredentialKey key = DeviceCredentialKey.fromBase64Spki(b64(spki));
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(spki));
        assertThat(key.fingerprint()).isEqualTo(expected).hasSize(64);
        assertThat(key.toString()).contains(expected);
    }

    @Test
    void theParsedKeyVerifiesTheDevicesSignatures() throws Exception {
        KeyPair pair = ec("secp256r1");
        DeviceCredentialKey key = DeviceCredentialKey.fromBase64Spki(b64(pair.getPublic().getEncoded()));
        Signature signer = Signature.getInstance("SHA256withECDSA");
        signer.initSign(pair.getPrivate());
        signer.update(new byte[] {1, 2, 3});
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance("SHA256withECDSA");
        verifier.initVerify(key.publicKey());
        verifier.update(new byte[] {1, 2, 3});
        assertThat(verifier.verify(signature)).isTrue();
    }

    @Test
    void otherCurvesAreRefused() throws Exception {
        for (String curve : new String[] {"secp384r1", "secp521r1"}) {
            String spki = b64(ec(curve).getPublic().getEncoded());
            assertThatThrownBy(() -> DeviceCredentialKey.fromBase64Spki(spki))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage(DeviceCredentialKey.NOT_P256);
        }
    }

    @Test
    void rsaAndEd25519KeysAreRefused() throws Exception {
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        String rsaSpki = b64(rsa.generateKeyPair().getPublic().getEncoded());
        String edSpki = b64(KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPublic().getEncoded());
        for (String spki : new String[] {rsaSpki, edSpki}) {
            assertThatThrownBy(() -> DeviceCredentialKey.fromBase64Spki(spki))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage(DeviceCredentialKey.NOT_P256);
        }
    }

    @Test
    void aPointOffTheCurveIsRefused() throws Exception {
        byte[] spki = ec("secp256r1").getPublic().getEncoded();
        byte[] tampered = spki.clone();
        tampered[tampered.length - 1] ^= 1; // flips the lowest bit of Y: no longer on the curve
        assertThatThrownBy(() -> DeviceCredentialKey.fromBase64Spki(b64(tampered)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage(DeviceCredentialKey.NOT_P256);
    }

    @Test
    void theCurveEquationCheckAcceptsRealPointsAndRefusesOthers() throws Exception {
        ECPublicKey pub = (ECPublicKey) ec("secp256r1").getPublic();
        assertThat(DeviceCredentialKey.onCurve(pub.getW(), pub.getParams().getCurve())).isTrue();
        ECPoint offCurve = new ECPoint(pub.getW().getAffineX(), pub.getW().getAffineY().add(BigInteger.ONE));
        assertThat(DeviceCredentialKey.onCurve(offCurve, pub.getParams().getCurve())).isFalse();
        assertThat(DeviceCredentialKey.onCurve(ECPoint.POINT_INFINITY, pub.getParams().getCurve())).isFalse();
    }

    @Test
    void trailingBytesAndNonCanonicalEncodingsAreRefused() throws Exception {
        byte[] spki = ec("secp256r1").getPublic().getEncoded();
        byte[] trailing = Arrays.copyOf(spki, spki.length + 1);
        assertThatThrownBy(() -> DeviceCredentialKey.fromBase64Spki(b64(trailing)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage(DeviceCredentialKey.NOT_P256);
        byte[] truncated = Arrays.copyOf(spki, spki.length - 1);
        assertThatThrownBy(() -> DeviceCredentialKey.fromBase64Spki(b64(truncated)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage(DeviceCredentialKey.NOT_P256);
    }

    @Test
    void garbageAndOversizedInputAreRefusedWithAMessageThatDoesNotEchoThem() {
        String[] bad = {null, "", "not base64!", "AAAA", b64(new byte[91]), "%%%%", "A".repeat(257),
                "A".repeat(10_000_000), "-----BEGIN PUBLIC KEY-----"};
        for (String input : bad) {
            assertThatThrownBy(() -> DeviceCredentialKey.fromBase64Spki(input))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage(DeviceCredentialKey.NOT_P256);
        }
    }
}
