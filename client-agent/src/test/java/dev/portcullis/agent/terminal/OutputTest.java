package dev.portcullis.agent.terminal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OutputTest {

    @Test
    void textFromTheServerLosesEscapeSequencesAndBidiOverridesButKeepsLetters() {
        assertThat(Output.safe("Zoë \u001b[31mred\u001b[0m")).isEqualTo("Zoë ?[31mred?[0m");
        assertThat(Output.safe("evil\u202Etxt.exe")).isEqualTo("evil?txt.exe");
        assertThat(Output.safe("line\r\nbreak")).isEqualTo("line??break");
        assertThat(Output.safe(null)).isEmpty();
    }
}
