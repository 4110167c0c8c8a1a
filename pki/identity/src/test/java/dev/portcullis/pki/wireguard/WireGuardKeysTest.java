package dev.portcullis.pki.wireguard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The WireGuard key types: interoperable with wg, strict about lengths, silent about secrets. */
class WireGuardKeysTest {

    /** A fixed test vector: RFC 7748 section 6.1, Alice's X25519 key pair. */
    private static final String ALICE_PRIVATE = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
    private static final String ALICE_PUBLIC = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";

    @Test
    void publicKeyOfAGeneratedKeyMatchesWgPubkey() throws Exception {
        for (int i = 0; i < 3; i++) {
            WireGuardPrivateKey key = WireGuardPrivateKey.generate();
            String base64 = Base64.getEncoder().encodeToString(key.bytes());

            assertThat(wgPubkey(base64)).isEqualTo(key.publicKey().base64());
        }
    }

    @Test
    void publicKeyMatchesTheRfc7748TestVector() {
        WireGuardPrivateKey alice = WireGuardPrivateKey.fromBytes(HexFormat.of().parseHex(ALICE_PRIVATE));
        assertThat(alice.publicKey().hex()).isEqualTo(ALICE_PUBLIC);
    }

    @Test
    void generatedKeysAreDistinctAndClamped() {
        WireGuardPrivateKey a = WireGuardPrivateKey.generate();
        WireGuardPrivateKey b = WireGuardPrivateKey.generate();
        assertThat(a).isNotEqualTo(b);
        byte[] bytes = a.bytes();
        assertThat(bytes[0] & 7).isZero();
        assertThat(bytes[31] & 0xc0).isEqualTo(0x40);
        assertThat(PresharedKey.generate()).isNotEqualTo(PresharedKey.generate());
    }

    @Test
    void publicKeyRoundTripsThroughBase64AndHex() {
        WireGuardPublicKey key = WireGuardPrivateKey.generate().publicKey();

        assertThat(WireGuardPublicKey.fromBase64(key.base64())).isEqualTo(key);
        assertThat(WireGuardPublicKey.fromHex(key.hex())).isEqualTo(key);
        assertThat(WireGuardPublicKey.fromBytes(key.bytes())).isEqualTo(key).hasSameHashCodeAs(key);
        assertThat(key.base64()).hasSize(44);
        assertThat(key.hex()).hasSize(64).matches("[0-9a-f]+");
        assertThat(key).hasToString(key.base64());
    }

    @Test
    void privateAndPresharedKeysRoundTripThroughBytesAndHex() {
        WireGuardPrivateKey key = WireGuardPrivateKey.generate();
        PresharedKey psk = PresharedKey.generate();

        assertThat(WireGuardPrivateKey.fromBytes(HexFormat.of().parseHex(key.hex()))).isEqualTo(key);
        assertThat(PresharedKey.fromBytes(HexFormat.of().parseHex(psk.hex()))).isEqualTo(psk);
    }

    @Test
    void wrongLengthsAreRejected() {
        for (int length : new int[] {0, 31, 33, 64}) {
            byte[] bytes = new byte[length];
            assertThatThrownBy(() -> WireGuardPrivateKey.fromBytes(bytes)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> WireGuardPublicKey.fromBytes(bytes)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> PresharedKey.fromBytes(bytes)).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> WireGuardPrivateKey.fromBytes(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WireGuardPublicKey.fromBase64(Base64.getEncoder().encodeToString(new byte[31])))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WireGuardPublicKey.fromBase64("not base64!")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WireGuardPublicKey.fromHex("00".repeat(31))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WireGuardPublicKey.fromHex("zz".repeat(32))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectionMessagesDoNotRepeatTheInput() {
        String input = "secretish" + "A".repeat(30);
        assertThatThrownBy(() -> WireGuardPublicKey.fromBase64(input)).hasMessageNotContaining(input);
    }

    @Test
    void toStringOfPrivateAndPresharedKeysIsRedacted() {
        WireGuardPrivateKey key = WireGuardPrivateKey.generate();
        PresharedKey psk = PresharedKey.generate();
        String keyBase64 = Base64.getEncoder().encodeToString(key.bytes());
        String pskBase64 = Base64.getEncoder().encodeToString(psk.bytes());

        assertThat(key.toString()).contains("redacted").doesNotContain(key.hex()).doesNotContain(keyBase64)
                .contains(key.publicKey().base64());
        assertThat(psk.toString()).contains("redacted").doesNotContain(psk.hex()).doesNotContain(pskBase64);
        assertThat(String.valueOf(psk.hashCode())).isEqualTo(String.valueOf(PresharedKey.generate().hashCode()));
    }

    @Test
    void bytesAreCopiedInAndOut() {
        byte[] source = new byte[32];
        source[0] = 1;
        PresharedKey psk = PresharedKey.fromBytes(source);
        WireGuardPrivateKey key = WireGuardPrivateKey.fromBytes(source);
        WireGuardPublicKey pub = WireGuardPublicKey.fromBytes(source);
        source[0] = 2;
        psk.bytes()[0] = 3;
        key.bytes()[0] = 3;
        pub.bytes()[0] = 3;

        assertThat(psk.bytes()[0]).isEqualTo((byte) 1);
        assertThat(key.bytes()[0]).isEqualTo((byte) 1);
        assertThat(pub.bytes()[0]).isEqualTo((byte) 1);
    }

    @Test
    void equalsComparesEveryByteAndOnlyTheSameType() {
        byte[] a = new byte[32];
        byte[] lastDiffers = new byte[32];
        lastDiffers[31] = 1;
        byte[] firstDiffers = new byte[32];
        firstDiffers[0] = 1;

        assertThat(PresharedKey.fromBytes(a)).isEqualTo(PresharedKey.fromBytes(a.clone()))
                .isNotEqualTo(PresharedKey.fromBytes(lastDiffers)).isNotEqualTo(PresharedKey.fromBytes(firstDiffers))
                .isNotEqualTo(WireGuardPublicKey.fromBytes(a)).isNotEqualTo(null);
        assertThat(WireGuardPrivateKey.fromBytes(a)).isEqualTo(WireGuardPrivateKey.fromBytes(a.clone()))
                .isNotEqualTo(WireGuardPrivateKey.fromBytes(lastDiffers)).isNotEqualTo(PresharedKey.fromBytes(a));
        assertThat(WireGuardPublicKey.fromBytes(a)).isEqualTo(WireGuardPublicKey.fromBytes(a.clone()))
                .isNotEqualTo(WireGuardPublicKey.fromBytes(lastDiffers));
    }

    private static String wgPubkey(String privateBase64) throws IOException, InterruptedException {
        Path output = Files.createTempFile("wgpubkey", ".out");
        try {
            Process process = new ProcessBuilder("wg", "pubkey").redirectErrorStream(true)
                    .redirectOutput(output.toFile()).start();
            try (var stdin = process.getOutputStream()) {
                stdin.write((privateBase64 + "\n").getBytes(StandardCharsets.US_ASCII));
            }
            assertThat(process.waitFor(10, TimeUnit.SECONDS)).as("wg pubkey finished").isTrue();
            assertThat(process.exitValue()).as("wg pubkey exit code").isZero();
            return Files.readString(output).strip();
        } finally {
            Files.deleteIfExists(output);
        }
    }
}
