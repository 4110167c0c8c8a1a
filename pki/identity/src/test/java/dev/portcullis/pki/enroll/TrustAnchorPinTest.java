package dev.portcullis.pki.enroll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.Test;

class TrustAnchorPinTest {

    @Test
    void thePinIsTheSha256OfTheTopmostCertificatesDer() throws Exception {
        TestCertificates.Server root = TestCertificates.certificate("root").ca().build();
        TestCertificates.Server leaf = TestCertificates.certificate("edge").dns("localhost").issuedBy(root).build();

        byte[] expected = MessageDigest.getInstance("SHA-256").digest(root.leaf().getEncoded());
        assertThat(TrustAnchorPin.of(leaf.chain())).isEqualTo(expected);
        assertThat(TrustAnchorPin.of(new X509Certificate[] {root.leaf()})).isEqualTo(expected);
    }

    @Test
    void anEmptyChainHasNoPin() {
        assertThatThrownBy(() -> TrustAnchorPin.of(new X509Certificate[0])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TrustAnchorPin.of(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theTextFormIsBase64UrlWithoutPaddingAndRoundTrips() {
        byte[] pin = new byte[32];
        for (int i = 0; i < pin.length; i++) {
            pin[i] = (byte) (0xf0 + i);
        }

        String text = TrustAnchorPin.encode(pin);

        assertThat(text).hasSize(43).doesNotContain("=", "+", "/");
        assertThat(TrustAnchorPin.decode(text)).isEqualTo(pin);
    }

    @Test
    void decodingIsStrict() {
        String valid = TrustAnchorPin.encode(new byte[32]);

        assertThatThrownBy(() -> TrustAnchorPin.decode(valid + "=")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TrustAnchorPin.decode(valid.substring(1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TrustAnchorPin.decode(" " + valid.substring(1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TrustAnchorPin.decode(valid.substring(1) + "+")).isInstanceOf(IllegalArgumentException.class);
        // the last character carries 2 unused bits: "B" (000001) is not canonical
        assertThatThrownBy(() -> TrustAnchorPin.decode(valid.substring(0, 42) + "B")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TrustAnchorPin.decode(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TrustAnchorPin.encode(new byte[16])).isInstanceOf(IllegalArgumentException.class);
    }
}
