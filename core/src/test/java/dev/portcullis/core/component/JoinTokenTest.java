package dev.portcullis.core.component;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.core.link.JoinVerdict;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.join.JoinToken;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class JoinTokenTest {

    private final RegistryFixture fixture = new RegistryFixture();
    private final ComponentRegistry registry = fixture.registry;

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    @Test
    void joinTokenIsSingleUseUnder50ConcurrentConsumers() throws Exception {
        JoinToken token = registry.register("edge-1", PeerIdentity.Role.EDGE_PROXY, "127.0.0.1", 7443);
        int consumers = 50;
        ExecutorService pool = Executors.newFixedThreadPool(consumers);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<JoinVerdict>> verdicts = new ArrayList<>();
            for (int i = 0; i < consumers; i++) {
                verdicts.add(pool.submit(() -> {
                    start.await();
                    return registry.consumeJoinToken(token.componentId(), token.tokenId(), token.secret());
                }));
            }
            start.countDown();
            List<JoinVerdict> results = new ArrayList<>();
            for (Future<JoinVerdict> verdict : verdicts) {
                results.add(verdict.get());
            }
            assertThat(results).filteredOn(v -> v == JoinVerdict.ACCEPTED).hasSize(1);
            assertThat(results).filteredOn(v -> v != JoinVerdict.ACCEPTED).containsOnly(JoinVerdict.ALREADY_USED);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void usedTokenIsRejected() {
        JoinToken token = registry.register("edge-1", PeerIdentity.Role.EDGE_PROXY, "127.0.0.1", 7443);

        assertThat(registry.consumeJoinToken(token.componentId(), token.tokenId(), token.secret())).isEqualTo(JoinVerdict.ACCEPTED);
        assertThat(registry.consumeJoinToken(token.componentId(), token.tokenId(), token.secret()))
                .isEqualTo(JoinVerdict.ALREADY_USED);
    }

    @Test
    void expiredTokenIsRejected() {
        JoinToken token = registry.register("edge-1", PeerIdentity.Role.EDGE_PROXY, "127.0.0.1", 7443);
        fixture.clock.advance(Duration.ofHours(1));

        assertThat(registry.consumeJoinToken(token.componentId(), token.tokenId(), token.secret())).isEqualTo(JoinVerdict.EXPIRED);
    }

    @Test
    void tokenIsAcceptedJustBeforeItExpires() {
        JoinToken token = registry.register("edge-1", PeerIdentity.Role.EDGE_PROXY, "127.0.0.1", 7443);
        fixture.clock.advance(Duration.ofMinutes(59));

        assertThat(registry.consumeJoinToken(token.componentId(), token.tokenId(), token.secret())).isEqualTo(JoinVerdict.ACCEPTED);
    }

    @Test
    void supersededTokenIsRejectedAndTheReissuedOneWorks() {
        JoinToken first = registry.register("gw-1", PeerIdentity.Role.GATEWAY, "127.0.0.1", 7443);
        JoinToken second = registry.reissueToken("gw-1");

        assertThat(registry.consumeJoinToken(first.componentId(), first.tokenId(), first.secret()))
                .isEqualTo(JoinVerdict.ALREADY_USED);
        assertThat(registry.consumeJoinToken(second.componentId(), second.tokenId(), second.secret()))
                .isEqualTo(JoinVerdict.ACCEPTED);
    }

    @Test
    void wrongSecretIsRejectedAndLeavesTheTokenUsable() {
        JoinToken token = registry.register("edge-1", PeerIdentity.Role.EDGE_PROXY, "127.0.0.1", 7443);
        byte[] wrong = token.secret();
        wrong[0] ^= 1;

        assertThat(registry.consumeJoinToken(token.componentId(), token.tokenId(), wrong)).isEqualTo(JoinVerdict.WRONG_SECRET);
        assertThat(registry.consumeJoinToken(token.componentId(), token.tokenId(), new byte[5])).isEqualTo(JoinVerdict.WRONG_SECRET);
        assertThat(registry.consumeJoinToken(token.componentId(), token.tokenId(), null)).isEqualTo(JoinVerdict.WRONG_SECRET);
        assertThat(registry.consumeJoinToken(token.componentId(), token.tokenId(), token.secret())).isEqualTo(JoinVerdict.ACCEPTED);
    }

    @Test
    void tokenForAnotherComponentIsRejected() {
        JoinToken edgeToken = registry.register("edge-1", PeerIdentity.Role.EDGE_PROXY, "127.0.0.1", 7443);
        JoinToken gatewayToken = registry.register("gw-1", PeerIdentity.Role.GATEWAY, "127.0.0.1", 7444);

        assertThat(registry.consumeJoinToken(gatewayToken.componentId(), edgeToken.tokenId(), edgeToken.secret()))
                .isEqualTo(JoinVerdict.WRONG_COMPONENT);
        assertThat(registry.consumeJoinToken(edgeToken.componentId(), edgeToken.tokenId(), edgeToken.secret()))
                .as("the rejected attempt did not use it up").isEqualTo(JoinVerdict.ACCEPTED);
    }

    @Test
    void unknownTokenIsRejected() {
        JoinToken token = registry.register("edge-1", PeerIdentity.Role.EDGE_PROXY, "127.0.0.1", 7443);

        assertThat(registry.consumeJoinToken(token.componentId(), "0123456789abcdef", token.secret()))
                .isEqualTo(JoinVerdict.UNKNOWN);
        assertThat(registry.consumeJoinToken(token.componentId(), "'; DROP TABLE join_tokens; --", token.secret()))
                .isEqualTo(JoinVerdict.UNKNOWN);
        assertThat(registry.consumeJoinToken(token.componentId(), null, token.secret())).isEqualTo(JoinVerdict.UNKNOWN);
    }

    @Test
    void tokenOfARemovedComponentIsRejected() {
        JoinToken token = registry.register("edge-1", PeerIdentity.Role.EDGE_PROXY, "127.0.0.1", 7443);
        registry.remove("edge-1");

        assertThat(registry.consumeJoinToken(token.componentId(), token.tokenId(), token.secret()))
                .isEqualTo(JoinVerdict.ALREADY_USED);
    }

    @Test
    void tokenSecretIsNeverStoredOnlyItsHash() {
        JoinToken token = registry.register("edge-1", PeerIdentity.Role.EDGE_PROXY, "127.0.0.1", 7443);
        byte[] secret = token.secret();

        List<String> row = fixture.database.inTransaction(c -> {
            try (var rs = c.createStatement().executeQuery("SELECT * FROM join_tokens")) {
                rs.next();
                List<String> columns = new ArrayList<>();
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                    byte[] raw = rs.getBytes(i);
                    columns.add(raw == null ? "" : HexFormat.of().formatHex(raw) + "|" + new String(raw, StandardCharsets.ISO_8859_1));
                }
                assertThat(rs.next()).isFalse();
                return columns;
            }
        });
        byte[] storedHash = fixture.database.inTransaction(c -> {
            try (var rs = c.createStatement().executeQuery("SELECT secret_hash FROM join_tokens")) {
                rs.next();
                return rs.getBytes(1);
            }
        });

        assertThat(storedHash).isEqualTo(JoinToken.hash(secret));
        String secretHex = HexFormat.of().formatHex(secret);
        String secretText = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        String secretRaw = new String(secret, StandardCharsets.ISO_8859_1);
        assertThat(String.join("\n", row)).doesNotContain(secretHex).doesNotContain(secretText)
                .doesNotContain(secretRaw).doesNotContain(token.reveal());
    }
}
