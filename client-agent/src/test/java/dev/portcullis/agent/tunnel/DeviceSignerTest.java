package dev.portcullis.agent.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.pki.cert.KeyPairs;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.Signature;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class DeviceSignerTest {

    @Test
    void theHeaderSignsExactlyTheStringOfSessionApi() throws Exception {
        KeyPair credential = KeyPairs.generate();
        DeviceSigner signer = new DeviceSigner("3f1c9a52-7d7e-4b8e-9a51-0c1d2e3f4a5b", credential.getPrivate());
        byte[] body = "{\"location\":\"office\",\"method\":\"totp\"}".getBytes(StandardCharsets.UTF_8);

        String header = signer.header("POST", "/api/v1/tunnel/sessions", Instant.ofEpochMilli(1_700_000_000_123L), body);

        assertThat(header).startsWith("v1 device=3f1c9a52-7d7e-4b8e-9a51-0c1d2e3f4a5b, time=1700000000123, signature=");
        String signature = header.substring(header.indexOf("signature=") + "signature=".length());
        assertThat(signature).doesNotContain("=").matches("[A-Za-z0-9_-]+");
        Signature verifier = Signature.getInstance("SHA256withECDSA");
        verifier.initVerify(credential.getPublic());
        verifier.update(("portcullis-device-v1\nPOST\n/api/v1/tunnel/sessions\n1700000000123\n"
                + DeviceSigner.sha256Hex(body)).getBytes(StandardCharsets.UTF_8));
        assertThat(verifier.verify(Base64.getUrlDecoder().decode(signature))).isTrue();
        assertThat(DeviceSigner.sha256Hex(new byte[0])).isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assertThat(signer.toString()).doesNotContain("PRIVATE").contains("<redacted>");
    }

    @Test
    void interfaceNamesFitLinuxAndStayApartForLongLocationNames() {
        assertThat(LocalTunnel.interfaceFor("office")).isEqualTo("pc-office");
        String east = LocalTunnel.interfaceFor("engineering-east");
        String west = LocalTunnel.interfaceFor("engineering-west");
        assertThat(east).hasSizeLessThanOrEqualTo(15).startsWith("pc-engineer").isNotEqualTo(west);
        assertThat(LocalTunnel.interfaceFor("Lab_2.B")).isEqualTo("pc-lab-2-b");
    }
}
