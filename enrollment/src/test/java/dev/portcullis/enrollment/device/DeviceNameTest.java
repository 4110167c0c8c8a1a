package dev.portcullis.enrollment.device;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DeviceNameTest {

    @Test
    void ordinaryNamesAreAccepted() {
        for (String name : new String[] {"alice-laptop", "Alices Phone", "pixel_8.pro", "x", "MacBook Pro 2024"}) {
            assertThat(DeviceName.problem(name)).as(name).isEmpty();
        }
    }

    @Test
    void namesAreOneTo63Characters() {
        assertThat(DeviceName.MAX_LENGTH).isEqualTo(63);
        assertThat(DeviceName.problem(null)).contains(DeviceName.EMPTY);
        assertThat(DeviceName.problem("")).contains(DeviceName.EMPTY);
        assertThat(DeviceName.problem("a".repeat(63))).isEmpty();
        assertThat(DeviceName.problem("a".repeat(64))).contains(DeviceName.TOO_LONG);
        assertThat(DeviceName.problem("a".repeat(1_000_000))).contains(DeviceName.TOO_LONG);
    }

    @Test
    void onlyAsciiLettersDigitsSpaceDotDashAndUnderscoreAreAllowed() {
        for (String name : new String[] {"alice/laptop", "laptop;rm -rf", "tab\there", "new\nline", "nul\u0000",
                "zoë-phone", "аlice" /* Cyrillic a */, "laptop\u202E", "quote'", "a\"b", "emoji🔑", "$HOME"}) {
            assertThat(DeviceName.problem(name)).as(name).contains(DeviceName.BAD_CHARACTERS);
        }
    }

    @Test
    void leadingOrTrailingSpacesAreRefused() {
        assertThat(DeviceName.problem(" laptop")).contains(DeviceName.EDGE_SPACE);
        assertThat(DeviceName.problem("laptop ")).contains(DeviceName.EDGE_SPACE);
        assertThat(DeviceName.problem("   ")).contains(DeviceName.EMPTY);
        assertThat(DeviceName.problem("my laptop")).isEmpty();
    }
}
