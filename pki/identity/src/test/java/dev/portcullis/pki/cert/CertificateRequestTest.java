package dev.portcullis.pki.cert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.pki.cert.CertificateRequest.InvalidRequestException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.Test;

class CertificateRequestTest {

    @Test
    void aCreatedRequestParsesBackForTheSameKey() throws Exception {
        KeyPair keyPair = KeyPairs.generate();
        CertificateRequest created = CertificateRequest.create(keyPair, "gateway");

        CertificateRequest parsed = CertificateRequest.parse(created.der());

        assertThat(parsed.publicKey()).isEqualTo(keyPair.getPublic());
        assertThat(parsed.der()).isEqualTo(created.der());
    }

    @Test
    void aMissingEmptyOrOversizeRequestIsRefusedBeforeParsing() {
        for (byte[] der : new byte[][] {null, new byte[0], new byte[CertificateRequest.MAX_DER_BYTES + 1]}) {
            assertThatThrownBy(() -> CertificateRequest.parse(der))
                    .isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("empty or larger than " + CertificateRequest.MAX_DER_BYTES);
        }
    }

    @Test
    void anOversizeRequestIsRefusedEvenIfItsPrefixIsAValidRequest() {
        byte[] valid = CertificateRequest.create(KeyPairs.generate(), "gateway").der();
        byte[] padded = Arrays.copyOf(valid, CertificateRequest.MAX_DER_BYTES + 1);

        assertThatThrownBy(() -> CertificateRequest.parse(padded))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("larger than");
    }

    @Test
    void garbageIsRefusedAsMalformed() {
        byte[] random = new byte[200];
        new SecureRandom().nextBytes(random);
        byte[] certificateNotRequest = Certificates.der(TestCa.create("not a csr").certificate());
        byte[] valid = CertificateRequest.create(KeyPairs.generate(), "gateway").der();
        byte[] truncated = Arrays.copyOf(valid, valid.length - 10);

        for (byte[] der : new byte[][] {random, certificateNotRequest, truncated, {0x30, 0x00}}) {
            assertThatThrownBy(() -> CertificateRequest.parse(der))
                    .isInstanceOf(InvalidRequestException.class)
                    .hasMessage("certificate request is malformed");
        }
    }

    @Test
    void aRequestWhoseSignatureWasTamperedWithIsRefused() {
        byte[] der = CertificateRequest.create(KeyPairs.generate(), "gateway").der();
        der[der.length - 1] ^= 0x01; // last byte of the ECDSA signature's s

        assertThatThrownBy(() -> CertificateRequest.parse(der))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessage("certificate request signature does not verify");
    }

    @Test
    void aRequestForAKeyItsSenderDoesNotHoldIsRefused() throws Exception {
        KeyPair victim = KeyPairs.generate();
        KeyPair attacker = KeyPairs.generate();
        byte[] der = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=gateway"), victim.getPublic())
                .build(new JcaContentSignerBuilder(KeyPairs.SIGNATURE_ALGORITHM).build(attacker.getPrivate()))
                .getEncoded();

        assertThatThrownBy(() -> CertificateRequest.parse(der))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessage("certificate request signature does not verify");
    }

    @Test
    void anRsaRequestIsRefused() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair rsa = generator.generateKeyPair();
        byte[] der = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=gateway"), rsa.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(rsa.getPrivate()))
                .getEncoded();

        assertThatThrownBy(() -> CertificateRequest.parse(der))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessage("certificate request must use an EC P-256 key");
    }

    @Test
    void anEcRequestOnAnotherCurveIsRefused() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp384r1"));
        byte[] der = CertificateRequest.create(generator.generateKeyPair(), "gateway").der();

        assertThatThrownBy(() -> CertificateRequest.parse(der))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessage("certificate request must use an EC P-256 key");
    }

    @Test
    void theDerGoingInAndComingOutIsACopy() throws Exception {
        byte[] input = CertificateRequest.create(KeyPairs.generate(), "gateway").der();
        byte[] original = input.clone();
        CertificateRequest parsed = CertificateRequest.parse(input);

        input[input.length - 1] ^= 0x01;
        parsed.der()[0] ^= 0x01;

        assertThat(parsed.der()).isEqualTo(original);
        assertThat(CertificateRequest.parse(parsed.der()).publicKey()).isEqualTo(parsed.publicKey());
    }
}
