package dev.portcullis.protocol.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.pki.cert.CaFingerprint;
import dev.portcullis.pki.join.JoinToken;
import dev.portcullis.protocol.v1.ComponentMessage;
import dev.portcullis.protocol.v1.Telemetry;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The small pieces both components share (added to protocol's link package). Tested here because
 * they are used here; they have no dependency on the edge-proxy.
 */
class ComponentSupportTest {

    private static final String COMPONENT = "0b5c6f3e-9a1d-4c2b-8e7f-1a2b3c4d5e6f";

    @TempDir
    Path directory;

    @Test
    void aJoinTokenComesFromTheFlagTheFileOrTheEnvironmentInThatOrder() throws Exception {
        JoinToken minted = JoinToken.mint(COMPONENT, CaFingerprint.fromBytes(new byte[32]));
        Path file = Files.writeString(directory.resolve("token"), minted.reveal() + "\n");

        assertThat(JoinTokenSource.resolve(minted.reveal(), null, Map.of()).orElseThrow().tokenId()).isEqualTo(minted.tokenId());
        assertThat(JoinTokenSource.resolve(null, file, Map.of()).orElseThrow().tokenId()).isEqualTo(minted.tokenId());
        assertThat(JoinTokenSource.resolve(null, null, Map.of(JoinTokenSource.ENVIRONMENT_VARIABLE, minted.reveal()))
                .orElseThrow().tokenId()).isEqualTo(minted.tokenId());
        assertThat(JoinTokenSource.resolve(null, null, Map.of())).isEmpty();
    }

    @Test
    void anUnusableTokenFileIsExplainedWithoutItsContent() throws Exception {
        Path garbage = Files.writeString(directory.resolve("garbage"), "hunter2");
        Path huge = Files.writeString(directory.resolve("huge"), "x".repeat((int) JoinTokenSource.MAX_FILE_BYTES + 1));

        assertThatThrownBy(() -> JoinTokenSource.resolve(null, garbage, Map.of()))
                .hasMessageContaining("--join-token-file").hasMessageContaining("unusable").hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> JoinTokenSource.resolve(null, huge, Map.of())).hasMessageContaining("larger than");
        assertThatThrownBy(() -> JoinTokenSource.resolve(null, directory.resolve("absent"), Map.of()))
                .hasMessageContaining("does not exist");
    }

    @Test
    void residentMemoryIsReadFromVmRss() throws Exception {
        Path status = Files.writeString(directory.resolve("status"), "Name:\tjava\nVmPeak:\t 999 kB\nVmRSS:\t  123456 kB\nThreads:\t12\n");

        assertThat(ProcessMemory.residentBytes(status)).isEqualTo(123456L * 1024);
        assertThat(ProcessMemory.residentBytes(directory.resolve("absent"))).isZero();
        if (Files.exists(Path.of("/proc/self/status"))) {
            assertThat(ProcessMemory.residentBytes()).isPositive();
        }
    }

    @Test
    void telemetryCarriesTimeVersionUptimeAndMemoryAndIsSentOnlyWhileConnected() {
        AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
        Clock clock = new Clock() {
            @Override
            public ZoneOffset getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now.get();
            }
        };
        List<ComponentMessage> sent = new ArrayList<>();
        boolean[] connected = {false};
        try (TelemetryReporter reporter = new TelemetryReporter(message -> connected[0] && sent.add(message), () -> 42,
                () -> 5_000_000, clock)) {
            now.set(now.get().plus(Duration.ofSeconds(90)));

            assertThat(reporter.report()).isFalse();
            connected[0] = true;
            assertThat(reporter.report()).isTrue();
        }

        Telemetry telemetry = sent.get(0).getTelemetry();
        assertThat(telemetry.getSentAtUnixMillis()).isEqualTo(Instant.parse("2026-01-01T00:01:30Z").toEpochMilli());
        assertThat(telemetry.getConfigVersion()).isEqualTo(42);
        assertThat(telemetry.getUptimeSeconds()).isEqualTo(90);
        assertThat(telemetry.getRssBytes()).isEqualTo(5_000_000);
        assertThat(TelemetryReporter.INTERVAL).isEqualTo(Duration.ofSeconds(15));
    }

    @Test
    void listenAddressesParseHostPortAndBracketedIpv6() {
        assertThat(ListenAddress.parse("127.0.0.1:7443")).isEqualTo(new InetSocketAddress("127.0.0.1", 7443));
        assertThat(ListenAddress.parse("[::1]:0").getPort()).isZero();
        assertThat(ListenAddress.format(ListenAddress.parse("[::1]:9444"))).isEqualTo("[0:0:0:0:0:0:0:1]:9444");
        assertThatThrownBy(() -> ListenAddress.parse("127.0.0.1")).hasMessageContaining("HOST:PORT");
        assertThatThrownBy(() -> ListenAddress.parse("127.0.0.1:70000")).hasMessageContaining("between 0 and 65535");
        assertThatThrownBy(() -> ListenAddress.parse("::1:80")).hasMessageContaining("[ADDRESS]:PORT");
    }
}
