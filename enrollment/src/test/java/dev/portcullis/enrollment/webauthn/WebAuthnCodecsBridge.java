package dev.portcullis.enrollment.webauthn;

import com.yubico.webauthn.RegisteredCredential;
import com.yubico.webauthn.data.ByteArray;
import java.security.PublicKey;

/** Decodes a stored COSE key the way Yubico will when it verifies assertions with it. */
final class WebAuthnCodecsBridge {

    private WebAuthnCodecsBridge() {
    }

    static PublicKey publicKeyOf(byte[] cose) throws Exception {
        return RegisteredCredential.builder()
                .credentialId(new ByteArray(new byte[] {1}))
                .userHandle(new ByteArray(new byte[] {1}))
                .publicKeyCose(new ByteArray(cose))
                .build()
                .getParsedPublicKey();
    }
}
