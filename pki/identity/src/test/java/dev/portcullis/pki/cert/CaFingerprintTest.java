package dev.portcullis.pki.cert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CaFingerprintTest {

    private final TestCa ca = TestCa.create("fingerprinted");
    private final TestCa other = TestCa.create("fingerprinted");

    @Test
    void theFingerprintIsSha256OfTheCertificateDer() throws Exception {
        byte[] expected = MessageDigest.getInstance("SHA-256").digest(ca.certificate().getEncoded());

        CaFingerprint fingerprint = CaFingerprint.of(ca.certificate());

        assertThat(fingerprint.bytes()).isEqualTo(expected);
        assertThat(fingerprint.hex()).isEqualTo(HexFormat.of().formatHex(expected));
        assertThat(fingerprint).hasToString("sha256:" + HexFormat.of().formatHex(expected));
    }

    @Test
    void aFingerprintMatchesItsOwnCertificateAndNotAnotherWithTheSameName() {
        CaFingerprint fingerprint = CaFingerprint.of(ca.certificate());

        assertThat(fingerprint.matches(ca.certificate())).isTrue();
        assertThat(fingerprint.matches(other.certificate())).isFalse();
    }

    @Test
    void fingerprintsAreEqualExactlyWhenTheirBytesAre() {
        CaFingerprint fingerprint = CaFingerprint.of(ca.certificate());

        assertThat(CaFingerprint.fromBytes(fingerprint.bytes())).isEqualTo(fingerprint).hasSameHashCodeAs(fingerprint);
        assertThat(CaFingerprint.of(other.certificate())).isNotEqualTo(fingerprint);
        assertThat(fingerprint).isNotEqualTo(fingerprint.hex());
    }

    @Test
    void theHexFormRoundTripsInEitherCase() {
        CaFingerprint fingerprint = CaFingerprint.of(ca.certificate());

        assertThat(fingerprint.hex()).hasSize(64).matches("[0-9a-f]{64}");
        assertThat(CaFingerprint.fromHex(fingerprint.hex())).isEqualTo(fingerprint);
        assertThat(CaFingerprint.fromHex(fingerprint.hex().toUpperCase())).isEqualTo(fingerprint);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 20, 31, 33, 64})
    void aFingerprintIsExactly32Bytes(int length) {
        assertThatThrownBy(() -> CaFingerprint.fromBytes(new byte[length]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CaFingerprint.fromHex("ab".repeat(length)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theBytesGoingInAndComingOutAreCopies() {
        byte[] input = CaFingerprint.of(ca.certificate()).bytes();
        CaFingerprint fingerprint = CaFingerprint.fromBytes(input);

        input[0] ^= 1;
        fingerprint.bytes()[1] ^= 1;

        assertThat(fingerprint.matches(ca.certificate())).isTrue();
    }
}
