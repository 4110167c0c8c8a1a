package dev.portcullis.core.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.core.audit.AuditVerification.Problem;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Offline verification of an exported log against deliberate damage: every kind of edit an
 * attacker (or a broken copy) can make is found, and the report names the first bad record.
 */
class TamperDetectionTest {

    private static final long SEED = 0x5eed_a0d1L;
    private static final int RECORDS = 200;
    private static final int CHECKPOINT_EVERY = 17;
    private static final int MUTATIONS = 600;

    private static AuditFixture audit;
    private static String export;
    private static List<String> lines;

    @BeforeAll
    static void buildLog() {
        audit = new AuditFixture();
        audit.appendVaried(RECORDS, CHECKPOINT_EVERY, new Random(SEED));
        export = audit.exportAll();
        lines = List.of(export.split("\n"));
    }

    @AfterAll
    static void close() {
        audit.close();
    }

    @Test
    void anUntouchedExportVerifies() {
        AuditVerification result = audit.verifyText(export, AuditVerifier.Options.STRICT);

        assertThat(result.intact()).as(result.summary()).isTrue();
        assertThat(result.records()).isEqualTo(RECORDS);
        assertThat(result.checkpoints()).isEqualTo(RECORDS / CHECKPOINT_EVERY + 1);
        assertThat(result.lastSignedSeq()).isEqualTo(RECORDS);
    }

    @Test
    void everyRandomEditDeletionReorderingAndTruncationIsDetectedAtTheFirstBadRecord() {
        Random random = new Random(SEED);
        EnumSet<Kind> seen = EnumSet.noneOf(Kind.class);
        for (int i = 0; i < MUTATIONS; i++) {
            Kind kind = Kind.values()[random.nextInt(Kind.values().length)];
            Mutation mutation = mutate(kind, random);
            if (mutation == null) {
                continue; // e.g. a cut exactly after a checkpoint line: see the trusted-head test
            }
            seen.add(kind);
            AuditVerification result = audit.verifyText(mutation.text, AuditVerifier.Options.STRICT);

            assertThat(result.failure()).as("mutation #%d %s was not detected", i, mutation.description).isPresent();
            AuditVerification.Failure failure = result.failure().get();
            assertThat(failure.problem()).as("mutation #%d %s: %s", i, mutation.description, result.summary())
                    .isIn(mutation.problems);
            assertThat(failure.seq()).as("mutation #%d %s: %s", i, mutation.description, result.summary())
                    .isEqualTo(mutation.firstBadSeq);
        }
        assertThat(seen).isEqualTo(EnumSet.allOf(Kind.class));
    }

    @Test
    void aCutExactlyAfterACheckpointIsOnlyVisibleAgainstALaterSignedCheckpoint() {
        int cut = lineIndexOfCheckpoint(CHECKPOINT_EVERY * 3);
        String older = String.join("\n", lines.subList(0, cut + 1)) + "\n";

        assertThat(audit.verifyText(older, AuditVerifier.Options.STRICT).intact()).isTrue(); // a valid older export

        AuditCheckpoint latest = audit.checkpointer.latest().orElseThrow();
        AuditVerification result = audit.verifyText(older, AuditVerifier.Options.STRICT.withTrustedHead(latest));
        assertThat(result.failure()).get().extracting(AuditVerification.Failure::problem).isEqualTo(Problem.TRUNCATED);
        assertThat(result.failure().get().seq()).isEqualTo(CHECKPOINT_EVERY * 3 + 1);
    }

    @Test
    void aRecordForgedOntoTheEndAfterTheLastCheckpointIsAnUnsignedTail() {
        AuditRecord last = (AuditRecord) parse(lines.get(lineIndexOfRecord(RECORDS)));
        AuditRecord forged = forge(RECORDS + 1, last.hash(), "admin:mallory");

        AuditVerification result = audit.verifyText(export + AuditJsonLines.line(forged), AuditVerifier.Options.STRICT);

        assertThat(result.failure()).get().extracting(AuditVerification.Failure::problem).isEqualTo(Problem.UNSIGNED_TAIL);
        assertThat(result.failure().get().seq()).isEqualTo(RECORDS + 1);
    }

    @Test
    void aCheckpointSignedByAnotherKeyIsRejected() {
        AuditSigningKey impostor = AuditSigningKey.generate();
        int index = lineIndexOfCheckpoint(CHECKPOINT_EVERY);
        AuditCheckpoint genuine = (AuditCheckpoint) parse(lines.get(index));
        AuditCheckpoint forged = AuditCheckpoint.sign(genuine.seq(), genuine.hash(), genuine.signedAt(), impostor);

        AuditVerification result = audit.verifyText(replaceLine(index, AuditJsonLines.line(forged)),
                AuditVerifier.Options.STRICT);

        assertThat(result.failure()).get().extracting(AuditVerification.Failure::problem).isEqualTo(Problem.UNKNOWN_KEY);
        assertThat(result.failure().get().seq()).isEqualTo(CHECKPOINT_EVERY);
    }

    // ---- mutations ----------------------------------------------------------------------------------

    private enum Kind {
        EDIT_FIELD, DELETE_RECORD, SWAP_RECORDS, DUPLICATE_RECORD, TRUNCATE, TAMPER_CHECKPOINT, DELETE_LAST_CHECKPOINT,
        REWRITE_CHAIN
    }

    private record Mutation(String description, String text, Set<Problem> problems, long firstBadSeq) {
    }

    private Mutation mutate(Kind kind, Random random) {
        return switch (kind) {
            case EDIT_FIELD -> editField(random);
            case DELETE_RECORD -> {
                long seq = 1 + random.nextInt(RECORDS);
                List<String> copy = new ArrayList<>(lines);
                copy.remove(lineIndexOfRecord(seq));
                yield new Mutation("delete record " + seq, join(copy), EnumSet.of(Problem.MISSING), seq);
            }
            case SWAP_RECORDS -> {
                long a = 1 + random.nextInt(RECORDS);
                long b = 1 + random.nextInt(RECORDS);
                if (a == b) {
                    yield null;
                }
                long first = Math.min(a, b);
                List<String> copy = new ArrayList<>(lines);
                int i = lineIndexOfRecord(a);
                int j = lineIndexOfRecord(b);
                copy.set(i, lines.get(j));
                copy.set(j, lines.get(i));
                yield new Mutation("swap records " + a + " and " + b, join(copy), EnumSet.of(Problem.REORDERED), first);
            }
            case DUPLICATE_RECORD -> {
                long seq = 1 + random.nextInt(RECORDS);
                List<String> copy = new ArrayList<>(lines);
                int i = lineIndexOfRecord(seq);
                copy.add(i + 1, lines.get(i));
                yield new Mutation("duplicate record " + seq, join(copy), EnumSet.of(Problem.REORDERED), seq + 1);
            }
            case TRUNCATE -> truncate(random);
            case TAMPER_CHECKPOINT -> {
                List<Integer> checkpointLines = new ArrayList<>();
                for (int i = 0; i < lines.size(); i++) {
                    if (lines.get(i).startsWith("{\"type\":\"checkpoint\"")) {
                        checkpointLines.add(i);
                    }
                }
                int index = checkpointLines.get(random.nextInt(checkpointLines.size()));
                AuditCheckpoint c = (AuditCheckpoint) parse(lines.get(index));
                byte[] signature = c.signature();
                AuditCheckpoint tampered = switch (random.nextInt(3)) {
                    case 0 -> {
                        signature[random.nextInt(signature.length)] ^= (byte) (1 << random.nextInt(8));
                        yield new AuditCheckpoint(c.seq(), c.hash(), c.signedAt(), c.keyId(), signature);
                    }
                    case 1 -> new AuditCheckpoint(c.seq(), flip(c.hash(), random), c.signedAt(), c.keyId(), signature);
                    default -> new AuditCheckpoint(c.seq(), c.hash(), c.signedAt().plusSeconds(1), c.keyId(), signature);
                };
                yield new Mutation("tamper with the checkpoint at " + c.seq(), replaceLine(index, AuditJsonLines.line(tampered)),
                        EnumSet.of(Problem.BAD_SIGNATURE), c.seq());
            }
            case DELETE_LAST_CHECKPOINT -> {
                List<String> copy = new ArrayList<>(lines);
                copy.remove(copy.size() - 1);
                long previous = (RECORDS - 1) / CHECKPOINT_EVERY * CHECKPOINT_EVERY;
                yield new Mutation("delete the last checkpoint", join(copy), EnumSet.of(Problem.UNSIGNED_TAIL),
                        previous + 1);
            }
            case REWRITE_CHAIN -> {
                // An attacker with the records but not the key: edits one and re-hashes everything after it.
                long seq = 1 + random.nextInt(RECORDS);
                List<String> copy = new ArrayList<>(lines);
                AuditHash prev = ((AuditRecord) parse(lines.get(lineIndexOfRecord(seq)))).prevHash();
                RecordDigest digest = new RecordDigest();
                for (long s = seq; s <= RECORDS; s++) {
                    int index = lineIndexOfRecord(s);
                    AuditRecord r = (AuditRecord) parse(lines.get(index));
                    String outcome = s == seq ? (r.outcome().equals("SUCCESS") ? "DENIED" : "SUCCESS") : r.outcome();
                    AuditHash hash = digest.hash(prev, s, r.recordedAt(), r.actor(), r.action(), r.subject(),
                            r.sourceAddress(), outcome, r.details());
                    copy.set(index, AuditJsonLines.line(new AuditRecord(s, r.recordedAt(), r.actor(), r.action(),
                            r.subject(), r.sourceAddress(), outcome, r.details(), prev, hash)).strip());
                    prev = hash;
                }
                long coveringCheckpoint = Math.min(RECORDS, (seq + CHECKPOINT_EVERY - 1) / CHECKPOINT_EVERY * CHECKPOINT_EVERY);
                yield new Mutation("rewrite the chain from record " + seq, join(copy),
                        EnumSet.of(Problem.CHECKPOINT_MISMATCH), coveringCheckpoint);
            }
        };
    }

    private Mutation editField(Random random) {
        long seq = 1 + random.nextInt(RECORDS);
        int index = lineIndexOfRecord(seq);
        AuditRecord r = (AuditRecord) parse(lines.get(index));
        SortedMap<String, String> details = new TreeMap<>(r.details());
        long newSeq = r.seq();
        Instant at = r.recordedAt();
        String actor = r.actor();
        String action = r.action();
        String subject = r.subject();
        String source = r.sourceAddress();
        String outcome = r.outcome();
        AuditHash prevHash = r.prevHash();
        AuditHash hash = r.hash();
        Set<Problem> expected = EnumSet.of(Problem.HASH_MISMATCH);
        String field;
        switch (random.nextInt(11)) {
            case 0 -> {
                field = "actor";
                actor = actor + "x";
            }
            case 1 -> {
                field = "action";
                action = "audit.erased";
            }
            case 2 -> {
                field = "subject";
                subject = subject.isEmpty() ? "x" : subject.substring(1);
            }
            case 3 -> {
                field = "source_address";
                source = source == null ? "192.0.2.1" : null;
            }
            case 4 -> {
                field = "outcome";
                outcome = outcome.equals("SUCCESS") ? "FAILURE" : "SUCCESS";
            }
            case 5 -> {
                field = "details (added)";
                details.put("z_added", "1");
            }
            case 6 -> {
                field = "details (changed or removed)";
                if (details.isEmpty()) {
                    details.put("k0", "");
                } else if (random.nextBoolean()) {
                    details.remove(details.firstKey());
                } else {
                    details.put(details.firstKey(), details.get(details.firstKey()) + "!");
                }
            }
            case 7 -> {
                field = "recorded_at";
                at = at.plusNanos(random.nextBoolean() ? 1_000 : -1_000);
            }
            case 8 -> {
                field = "hash";
                hash = flip(hash, random);
            }
            case 9 -> {
                field = "prev_hash";
                prevHash = flip(prevHash, random);
                expected = EnumSet.of(Problem.CHAIN_BROKEN, Problem.UNANCHORED);
            }
            default -> {
                field = "seq";
                long delta = 1 + random.nextInt(5);
                newSeq = random.nextBoolean() || seq <= delta ? seq + delta : seq - delta;
                expected = EnumSet.of(Problem.MISSING, Problem.REORDERED);
            }
        }
        AuditRecord edited = new AuditRecord(newSeq, at, actor, action, subject, source, outcome, details, prevHash, hash);
        return new Mutation("edit " + field + " of record " + seq, replaceLine(index, AuditJsonLines.line(edited)),
                expected, seq);
    }

    private Mutation truncate(Random random) {
        int cut = random.nextInt(export.length() - 1);
        String text = export.substring(0, cut);
        int lastNewline = text.lastIndexOf('\n');
        int complete = lastNewline < 0 ? 0 : (int) text.substring(0, lastNewline + 1).chars().filter(c -> c == '\n').count();
        String partial = text.substring(lastNewline + 1);
        boolean partialIsWholeLine = !partial.isEmpty() && partial.equals(lines.get(complete));
        if (partialIsWholeLine) {
            complete++;
            partial = "";
        }
        long lastRecord = 0;
        long lastCheckpoint = 0;
        for (int i = 0; i < complete; i++) {
            AuditEntry entry = parse(lines.get(i));
            if (entry instanceof AuditRecord r) {
                lastRecord = r.seq();
            } else {
                lastCheckpoint = entry.seq();
            }
        }
        if (!partial.isEmpty()) {
            return new Mutation("cut inside line " + (complete + 1) + " (offset " + cut + ")", text,
                    EnumSet.of(Problem.TRUNCATED), lastRecord + 1);
        }
        if (complete == 0) {
            return new Mutation("cut everything", text, EnumSet.of(Problem.TRUNCATED), 1);
        }
        if (lastCheckpoint == lastRecord) {
            return null; // exactly after a checkpoint: a valid older export (see the trusted-head test)
        }
        return new Mutation("cut after record " + lastRecord + " (offset " + cut + ")", text,
                EnumSet.of(Problem.UNSIGNED_TAIL), lastCheckpoint + 1);
    }

    // ---- helpers ----------------------------------------------------------------------------------

    private static AuditHash flip(AuditHash hash, Random random) {
        byte[] bytes = hash.bytes();
        bytes[random.nextInt(bytes.length)] ^= (byte) (1 << random.nextInt(8));
        return AuditHash.of(bytes);
    }

    private AuditRecord forge(long seq, AuditHash prev, String actor) {
        Instant at = Instant.parse("2026-11-22T10:15:30.123456Z");
        TreeMap<String, String> details = new TreeMap<>();
        AuditHash hash = new RecordDigest().hash(prev, seq, at, actor, "admin.token.created", "mallory", null, "SUCCESS",
                details);
        return new AuditRecord(seq, at, actor, "admin.token.created", "mallory", null, "SUCCESS", details, prev, hash);
    }

    private static int lineIndexOfRecord(long seq) {
        String prefix = "{\"type\":\"record\",\"seq\":" + seq + ",";
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(prefix)) {
                return i;
            }
        }
        throw new AssertionError("no record " + seq);
    }

    private static int lineIndexOfCheckpoint(long seq) {
        String prefix = "{\"type\":\"checkpoint\",\"seq\":" + seq + ",";
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(prefix)) {
                return i;
            }
        }
        throw new AssertionError("no checkpoint " + seq);
    }

    private static String replaceLine(int index, String line) {
        List<String> copy = new ArrayList<>(lines);
        copy.set(index, line.strip());
        return join(copy);
    }

    private static String join(List<String> copy) {
        return String.join("\n", copy) + "\n";
    }

    static AuditEntry parse(String line) {
        try (AuditJsonLines.Reader reader = new AuditJsonLines.Reader(
                new ByteArrayInputStream(line.getBytes(StandardCharsets.UTF_8)))) {
            return reader.next();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
