package dev.portcullis.agent.enroll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.agent.outcome.AgentFailure;
import org.junit.jupiter.api.Test;

class DeviceNameTest {

    @Test
    void aHostNameIsMadeToFollowTheDeviceNameRules() {
        assertThat(DeviceName.fromHostName("alice-laptop.example.com")).isEqualTo("alice-laptop.example.com");
        assertThat(DeviceName.fromHostName("Alice's MacBook")).isEqualTo("Alice-s MacBook");
        assertThat(DeviceName.fromHostName("x".repeat(80))).hasSize(63);
        assertThat(DeviceName.fromHostName("a".repeat(62) + " b")).isEqualTo("a".repeat(62));
        assertThat(DeviceName.fromHostName("  \n")).isEqualTo(DeviceName.FALLBACK);
        assertThat(DeviceName.fromHostName("ÄÖÜ")).isEqualTo(DeviceName.FALLBACK);
        assertThat(DeviceName.fromHostName(null)).isEqualTo(DeviceName.FALLBACK);
        assertThat(DeviceName.forThisHost()).matches("[A-Za-z0-9 ._-]{1,63}");
    }

    @Test
    void aNameTheUserGivesIsCheckedNeverChanged() {
        assertThat(DeviceName.checked("Work laptop_2.0")).isEqualTo("Work laptop_2.0");
        assertThatThrownBy(() -> DeviceName.checked("")).isInstanceOf(AgentFailure.class);
        assertThatThrownBy(() -> DeviceName.checked("x".repeat(64))).isInstanceOf(AgentFailure.class).hasMessageContaining("63");
        assertThatThrownBy(() -> DeviceName.checked(" laptop")).isInstanceOf(AgentFailure.class).hasMessageContaining("space");
        assertThatThrownBy(() -> DeviceName.checked("lap\ttop")).isInstanceOf(AgentFailure.class);
        assertThatThrownBy(() -> DeviceName.checked("läptop")).isInstanceOf(AgentFailure.class);
    }
}
