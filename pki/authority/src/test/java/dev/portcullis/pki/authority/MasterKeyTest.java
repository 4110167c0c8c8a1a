package dev.portcullis.pki.authority;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MasterKeyTest {

    @Test
    void toStringNeverShowsTheKey() {
        MasterKey key = MasterKey.generate();
        byte[] bytes = key.bytes();

        assertThat(key.toString())
                .contains("redacted")
                .doesNotContainIgnoringCase(HexFormat.of().formatHex(bytes))
                .doesNotContain(Base64.getEncoder().encodeToString(bytes))
                .doesNotContain(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 16, 24, 31, 33, 64})
    void aMasterKeyIsExactly32Bytes(int length) {
        assertThatThrownBy(() -> MasterKey.fromBytes(new byte[length]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("32 bytes");
    }

    @Test
    void generatedKeysAre32RandomBytes() {
        assertThat(MasterKey.generate().bytes()).hasSize(MasterKey.BYTES);
        assertThat(MasterKey.generate().bytes()).isNotEqualTo(MasterKey.generate().bytes());
    }

    @Test
    void theBytesGoingInAndComingOutAreCopies() throws Exception {
        byte[] input = MasterKey.generate().bytes();
        byte[] original = input.clone();
        MasterKey key = MasterKey.fromBytes(input);
        byte[] sealed = new Sealer(key).seal("p", new byte[] {42});

        input[0] ^= 1;
        key.bytes()[1] ^= 1;

        assertThat(key.bytes()).isEqualTo(original);
        assertThat(new Sealer(key).open("p", sealed)).containsExactly(42);
    }

    @Test
    void keysAreEqualExactlyWhenTheirBytesAre() {
        MasterKey key = MasterKey.generate();

        assertThat(MasterKey.fromBytes(key.bytes())).isEqualTo(key).hasSameHashCodeAs(key);
        assertThat(MasterKey.generate()).isNotEqualTo(key);
    }
}
