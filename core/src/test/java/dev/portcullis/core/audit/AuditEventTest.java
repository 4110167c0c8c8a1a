package dev.portcullis.core.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.core.audit.AuditVerification.Problem;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AuditEventTest {

    @Test
    void textsAnAttackerChoosesAreCutAtTheirBoundAndStillProduceTheirEvent() {
        String longName = "user:" + "m".repeat(1_000);
        AuditEvent event = new AuditEvent(longName, "mfa.totp.failed", "s".repeat(10_000), "1".repeat(500),
                AuditEvent.Outcome.DENIED, Map.of("reason", "r".repeat(5_000)));

        assertThat(event.actor()).hasSize(AuditEvent.MAX_ACTOR_CHARS).endsWith(AuditEvent.CUT_MARK).startsWith("user:mmm");
        assertThat(event.subject()).hasSize(AuditEvent.MAX_SUBJECT_CHARS).endsWith(AuditEvent.CUT_MARK);
        assertThat(event.sourceAddress()).hasSize(AuditEvent.MAX_SOURCE_CHARS);
        assertThat(event.details().get("reason")).hasSize(AuditEvent.MAX_DETAIL_VALUE_CHARS);
    }

    @Test
    void aCutNeverSplitsASurrogatePairAndNulOrLoneSurrogatesBecomeReplacementCharacters() {
        String keys = "🔑".repeat(AuditEvent.MAX_SUBJECT_CHARS);
        AuditEvent event = new AuditEvent("user:a\u0000b\uD800c", "session.started", keys, null, AuditEvent.Outcome.SUCCESS,
                null);

        assertThat(event.actor()).isEqualTo("user:a\uFFFDb\uFFFDc");
        assertThat(event.subject()).endsWith("🔑" + AuditEvent.CUT_MARK);
        assertThat(event.subject().getBytes(StandardCharsets.UTF_8)).asString(StandardCharsets.UTF_8).isEqualTo(event.subject());
    }

    @Test
    void whatCodeChoosesIsCheckedNotCut() {
        assertThatThrownBy(() -> AuditEvent.of("core", "Invite Issued", "x", AuditEvent.Outcome.SUCCESS))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AuditEvent.of("core", "a".repeat(65), "x", AuditEvent.Outcome.SUCCESS))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AuditEvent.of("", "core.started", "x", AuditEvent.Outcome.SUCCESS))
                .isInstanceOf(IllegalArgumentException.class);
        AuditEvent event = AuditEvent.of("core", "core.started", "x", AuditEvent.Outcome.SUCCESS);
        assertThatThrownBy(() -> event.with("Bad Key", "v")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> event.with("k".repeat(33), "v")).isInstanceOf(IllegalArgumentException.class);
        Map<String, String> many = new HashMap<>();
        for (int i = 0; i <= AuditEvent.MAX_DETAILS; i++) {
            many.put("k" + i, "v");
        }
        assertThatThrownBy(() -> new AuditEvent("core", "core.started", "x", null, AuditEvent.Outcome.SUCCESS, many))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void detailsAreKeptInAscendingKeyOrder() {
        AuditEvent event = AuditEvent.of("core", "core.started", "x", AuditEvent.Outcome.SUCCESS)
                .with("zeta", "1").with("alpha", "2").with("mid", "3");

        assertThat(event.details().keySet()).containsExactly("alpha", "mid", "zeta");
    }

    @Test
    void theReaderRejectsAmbiguousOrUnknownInputInsteadOfGuessing() throws IOException {
        AuditRecord record = AuditRecord.chain(1, java.time.Instant.parse("2026-11-22T10:15:30.123456Z"),
                AuditEvent.of("core", "core.started", "x", AuditEvent.Outcome.SUCCESS), AuditHash.GENESIS, new RecordDigest());
        String line = AuditJsonLines.line(record);
        List<String> malformed = List.of(
                line.replace("\"type\":\"record\",", "\"type\":\"record\",\"type\":\"record\","),   // duplicate field
                line.replace("\"outcome\"", "\"extra\":\"x\",\"outcome\""),                        // unknown field
                line.replace("10:15:30.123456Z", "10:15:30.1234560Z"),                            // second spelling of a time
                line.replace("\"seq\":1", "\"seq\":1.0"),                                         // not an integer
                line.replace("\"details\":{}", "\"details\":{\"k\":1}"),                          // detail not a string
                line.replace("\"type\":\"record\"", "\"type\":\"note\""));                        // unknown type

        for (String bad : malformed) {
            AuditVerification result = AuditVerifier.verifyStream(new ByteArrayInputStream(bad.getBytes(StandardCharsets.UTF_8)),
                    List.of(), new AuditVerifier.Options(false, false, null));
            assertThat(result.failure()).as(bad).get().extracting(AuditVerification.Failure::problem).isEqualTo(Problem.MALFORMED);
        }
        assertThat(AuditVerifier.verifyStream(new ByteArrayInputStream(line.getBytes(StandardCharsets.UTF_8)), List.of(),
                new AuditVerifier.Options(false, false, null)).intact()).isTrue();
    }

    @Test
    void theFastTimeParserAgreesWithTheJdkOnEveryCanonicalSpellingAndRejectsTheOthers() {
        java.util.Random random = new java.util.Random(42);
        for (int i = 0; i < 100_000; i++) {
            // anywhere in years 0001..9999, the range Instant.toString() writes with four digits
            long micros = -62_135_596_800_000_000L + (long) (random.nextDouble() * 315_537_897_599_000_000L);
            java.time.Instant instant = java.time.Instant.EPOCH.plus(micros, java.time.temporal.ChronoUnit.MICROS);
            if (random.nextInt(4) == 0) {
                instant = instant.truncatedTo(random.nextBoolean() ? java.time.temporal.ChronoUnit.SECONDS
                        : java.time.temporal.ChronoUnit.MILLIS);
            }
            assertThat(AuditJsonLines.canonicalInstant(instant.toString())).as(instant.toString()).isEqualTo(instant);
        }
        for (String other : List.of("2026-11-22T10:15:30.000Z", "2026-11-22T10:15:30.120000Z", "2026-02-30T10:15:30Z",
                "2026-11-22T24:00:00Z", "2026-11-22t10:15:30Z", "2026-11-22T10:15:30+00:00", "2026-11-22T10:15:60Z",
                "2026-11-22T10:15:30.1Z", "+2026-11-22T10:15:30Z")) {
            assertThat(AuditJsonLines.canonicalInstant(other)).as(other).isNull();
        }
    }
}
