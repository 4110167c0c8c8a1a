package dev.portcullis.gateway.acl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The runner's bounds, exercised with a shell standing in for nft (the prefix runs instead of it). */
class NftTest {

    /** {@code sh -c SCRIPT sh nft ARGS…}: the script runs, nft and its arguments become unused positional parameters. */
    private static Nft shell(String script, Duration timeout) {
        return new Nft(List.of("sh", "-c", script, "sh"), timeout);
    }

    @Test
    void aHungNftIsKilledAtTheTimeout() {
        long start = System.nanoTime();

        assertThatThrownBy(() -> shell("sleep 30", Duration.ofMillis(500)).runScript("table inet t {\n}\n"))
                .isInstanceOf(FirewallException.class).hasMessage("nft did not finish within 0 s");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void nftsErrorOutputIsSummarizedOnOneShortLine() {
        String noisy = "printf 'Error: syntax error\\n\\033[1mtable\\033[0m\\n' >&2; yes x | head -c 5000 >&2; exit 1";

        assertThatThrownBy(() -> shell(noisy, Duration.ofSeconds(5)).runScript(""))
                .isInstanceOf(FirewallException.class)
                .satisfies(e -> assertThat(e.getMessage())
                        .startsWith("nft failed (exit 1): Error: syntax error [1mtable [0m x x x")
                        .doesNotContain("\n", "\033")
                        .hasSizeLessThan(Nft.MAX_ERROR_SUMMARY + 40));
    }

    @Test
    void theScriptReachesNftOnStandardInput() throws Exception {
        assertThat(shell("cat", Duration.ofSeconds(5)).run("table inet t {\n}\n", "-f", "-")).isEqualTo("table inet t {\n}\n");
    }
}
