package dev.portcullis.pki.authority;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SealerTest {

    private static final String PURPOSE = "portcullis/test-secret/v1";
    private static final int VERSION_BYTES = 1;
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BYTES = 16;

    private final Sealer sealer = new Sealer(MasterKey.generate());
    private final byte[] plaintext = "a TOTP seed, say: 12345678901234567890".getBytes(StandardCharsets.US_ASCII);

    @Test
    void aSealedSecretOpensUnderTheSameKeyAndPurpose() throws Exception {
        assertThat(sealer.open(PURPOSE, sealer.seal(PURPOSE, plaintext))).isEqualTo(plaintext);
        assertThat(sealer.open(PURPOSE, sealer.seal(PURPOSE, new byte[0]))).isEmpty();
    }

    @Test
    void aSealedSecretOpensWithAnotherSealerOverTheSameKeyBytes() throws Exception {
        MasterKey key = MasterKey.generate();
        byte[] sealed = new Sealer(key).seal(PURPOSE, plaintext);

        assertThat(new Sealer(MasterKey.fromBytes(key.bytes())).open(PURPOSE, sealed)).isEqualTo(plaintext);
    }

    @Test
    void theSealedFormIsVersionNonceCiphertextAndTag() {
        byte[] sealed = sealer.seal(PURPOSE, plaintext);

        assertThat(sealed).hasSize(VERSION_BYTES + NONCE_BYTES + plaintext.length + TAG_BYTES);
        assertThat(sealed[0]).isEqualTo((byte) 1);
    }

    @Test
    void aSecretSealedForOnePurposeDoesNotOpenForAnother() {
        byte[] sealed = sealer.seal(PURPOSE, plaintext);

        assertThatThrownBy(() -> sealer.open("portcullis/ca-key/v1", sealed)).isInstanceOf(Sealer.UnsealException.class);
        assertThatThrownBy(() -> sealer.open("", sealed)).isInstanceOf(Sealer.UnsealException.class);
    }

    @Test
    void aSecretDoesNotOpenUnderAnotherMasterKey() {
        byte[] sealed = sealer.seal(PURPOSE, plaintext);

        assertThatThrownBy(() -> new Sealer(MasterKey.generate()).open(PURPOSE, sealed))
                .isInstanceOf(Sealer.UnsealException.class)
                .hasMessageContaining("wrong master key or the data was altered");
    }

    @Test
    void flippingAnySingleBitIsDetected() {
        byte[] sealed = sealer.seal(PURPOSE, plaintext);

        // Every byte: the version, the nonce, the ciphertext and the tag.
        for (int index = 0; index < sealed.length; index++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] tampered = sealed.clone();
                tampered[index] ^= (byte) (1 << bit);
                int at = index;
                assertThatThrownBy(() -> sealer.open(PURPOSE, tampered))
                        .as("bit %d of byte %d", bit, at)
                        .isInstanceOf(Sealer.UnsealException.class);
            }
        }
    }

    @Test
    void aTruncatedOrExtendedSealedSecretIsRefused() {
        byte[] sealed = sealer.seal(PURPOSE, plaintext);

        for (int length = 0; length < sealed.length; length++) {
            byte[] truncated = Arrays.copyOf(sealed, length);
            assertThatThrownBy(() -> sealer.open(PURPOSE, truncated))
                    .as("truncated to %d bytes", length)
                    .isInstanceOf(Sealer.UnsealException.class);
        }
        byte[] extended = Arrays.copyOf(sealed, sealed.length + 1);
        assertThatThrownBy(() -> sealer.open(PURPOSE, extended)).isInstanceOf(Sealer.UnsealException.class);
    }

    @Test
    void nothingToOpenIsRefused() {
        assertThatThrownBy(() -> sealer.open(PURPOSE, null)).isInstanceOf(Sealer.UnsealException.class);
        assertThatThrownBy(() -> sealer.open(PURPOSE, new byte[0])).isInstanceOf(Sealer.UnsealException.class);
    }

    @Test
    void sealingTheSamePlaintextTwiceUsesFreshNonces() {
        byte[] first = sealer.seal(PURPOSE, plaintext);
        byte[] second = sealer.seal(PURPOSE, plaintext);

        assertThat(second).isNotEqualTo(first);
        assertThat(Arrays.copyOfRange(second, VERSION_BYTES, VERSION_BYTES + NONCE_BYTES))
                .isNotEqualTo(Arrays.copyOfRange(first, VERSION_BYTES, VERSION_BYTES + NONCE_BYTES));
    }

    @Test
    void theSealedFormDoesNotContainThePlaintext() {
        byte[] sealed = sealer.seal(PURPOSE, plaintext);

        assertThat(Bytes.indexOf(sealed, plaintext)).isEqualTo(-1);
    }
}
