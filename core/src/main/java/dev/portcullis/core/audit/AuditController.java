package dev.portcullis.core.audit;

import dev.portcullis.core.admin.AdminAuthFilter;
import dev.portcullis.core.admin.AdminCaller;
import dev.portcullis.core.error.BadRequestException;
import dev.portcullis.core.error.ConflictException;
import dev.portcullis.core.store.Database;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.serde.annotation.Serdeable;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The audit log over the admin API (admin token required, like every {@code /api/v1} path):
 * <ul>
 * <li>{@code GET /api/v1/audit/records?from=SEQ&limit=N}: JSON lines from cursor {@code from}, at most
 *   {@link #MAX_PAGE} records; header {@value #NEXT_CURSOR} says where the next page starts.</li>
 * <li>{@code POST /api/v1/audit/verify}: verifies the live database; the verification is itself recorded.</li>
 * <li>{@code GET /api/v1/audit/public-key}: the audit public key (PEM), for offline verification.</li>
 * <li>{@code POST /api/v1/audit/checkpoint}: signs the head now and returns the checkpoint (409 if the log is empty).</li>
 * <li>{@code POST /api/v1/audit/evidence}: files a document (a compliance evidence report, say) into the
 *   log by its SHA-256, so the report an auditor is handed can be shown to be the one the run produced.</li>
 * </ul>
 */
@Controller("/api/v1/audit")
@ExecuteOn(TaskExecutors.BLOCKING)
public final class AuditController {

    /** Records per page: a page is built in memory (about 4 MB at most), and paging is cheap with a cursor. */
    public static final int MAX_PAGE = 10_000;
    public static final String NEXT_CURSOR = "X-Audit-Next-Cursor";
    public static final String JSON_LINES = "application/x-ndjson";
    public static final String PEM = "application/x-pem-file";
    /** A filed document's name: a file name, never a path. */
    private static final Pattern EVIDENCE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
    /** One line for people reading the log; the document itself says the rest. */
    private static final int MAX_SUMMARY_CHARS = 200;
    /** Set by the admin authentication filter on every authenticated request. */

    private final Database database;
    private final AuditLog log;
    private final AuditExporter exporter;
    private final AuditCheckpointer checkpointer;

    public AuditController(Database database, AuditLog log, AuditExporter exporter, AuditCheckpointer checkpointer) {
        this.database = database;
        this.log = log;
        this.exporter = exporter;
        this.checkpointer = checkpointer;
    }

    /** A verification result as the API shows it. */
    @Serdeable
    public record VerificationView(boolean intact, String summary, long records, long firstSeq, long lastSeq,
                                   String lastHash, long checkpoints, long lastSignedSeq, long pending,
                                   @Nullable String problem, @Nullable Long brokenSeq, @Nullable String message) {

        static VerificationView of(AuditVerification v) {
            return new VerificationView(v.intact(), v.summary(), v.records(), v.firstSeq(), v.lastSeq(), v.lastHash().hex(),
                    v.checkpoints(), v.lastSignedSeq(), v.pending(),
                    v.failure().map(f -> f.problem().name()).orElse(null),
                    v.failure().map(AuditVerification.Failure::seq).orElse(null),
                    v.failure().map(AuditVerification.Failure::message).orElse(null));
        }
    }

    /** A checkpoint as the API shows it (hex, like the JSON-lines export). */
    @Serdeable
    public record CheckpointView(long seq, String hash, String signedAt, String keyId, String signature) {

        static CheckpointView of(AuditCheckpoint c) {
            return new CheckpointView(c.seq(), c.hash().hex(), c.signedAt().toString(), c.keyId(),
                    HexFormat.of().formatHex(c.signature()));
        }
    }

    @Get(uri = "/records", produces = JSON_LINES)
    public HttpResponse<byte[]> records(@QueryValue(defaultValue = "0") long from,
                                        @QueryValue(defaultValue = "" + MAX_PAGE) int limit) {
        if (from < 0) {
            throw new BadRequestException("from must be a seq (0 or more)");
        }
        if (limit < 1 || limit > MAX_PAGE) {
            throw new BadRequestException("limit must be between 1 and " + MAX_PAGE);
        }
        ByteArrayOutputStream page = new ByteArrayOutputStream();
        long next;
        try {
            next = exporter.jsonLines(from, limit, page);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // writing to memory does not fail
        }
        return HttpResponse.ok(page.toByteArray()).contentType(JSON_LINES).header(NEXT_CURSOR, Long.toString(next));
    }

    @Post("/verify")
    public VerificationView verify(HttpRequest<?> request) {
        AuditVerification result = AuditVerifier.verifyDatabase(database, List.of(checkpointer.publicKey()));
        AuditEvent event = new AuditEvent(actor(request), "audit.verified", "audit-log", source(request),
                result.intact() ? AuditEvent.Outcome.SUCCESS : AuditEvent.Outcome.FAILURE, null)
                .with("records", Long.toString(result.records()))
                .with("last_seq", Long.toString(result.lastSeq()));
        if (result.failure().isPresent()) {
            event = event.with("problem", result.failure().get().problem().name())
                    .with("broken_seq", Long.toString(result.failure().get().seq()));
        }
        log.append(event);
        return VerificationView.of(result);
    }

    /** Body of {@code POST /api/v1/audit/evidence}: what was filed (a file name), its SHA-256 (hex), a one-line summary. */
    @Serdeable
    public record EvidenceFiling(@Nullable String name, @Nullable String sha256, @Nullable String summary) {
    }

    /** The record that now carries the document's hash. */
    @Serdeable
    public record EvidenceFiled(long seq, String name, String sha256) {
    }

    @Post("/evidence")
    public HttpResponse<EvidenceFiled> fileEvidence(HttpRequest<?> request, @Body EvidenceFiling filing) {
        if (filing.name() == null || !EVIDENCE_NAME.matcher(filing.name()).matches()) {
            throw new BadRequestException("name must be a file name: letters, digits, '.', '_' or '-', at most 128 characters");
        }
        if (filing.sha256() == null || !SHA256_HEX.matcher(filing.sha256()).matches()) {
            throw new BadRequestException("sha256 must be 64 lower-case hex digits (e.g. the output of sha256sum)");
        }
        String summary = filing.summary() == null ? "" : filing.summary().strip();
        if (summary.length() > MAX_SUMMARY_CHARS || summary.chars().anyMatch(Character::isISOControl)) {
            throw new BadRequestException("summary must be one line of at most " + MAX_SUMMARY_CHARS + " characters");
        }
        AuditEvent event = new AuditEvent(actor(request), "compliance.evidence.filed", "evidence:" + filing.name(),
                source(request), AuditEvent.Outcome.SUCCESS, null).with("sha256", filing.sha256());
        if (!summary.isEmpty()) {
            event = event.with("summary", summary);
        }
        AuditRecord record = log.append(event);
        return HttpResponse.created(new EvidenceFiled(record.seq(), filing.name(), filing.sha256()));
    }

    @Get(uri = "/public-key", produces = PEM)
    public HttpResponse<String> publicKey() {
        AuditPublicKey key = checkpointer.publicKey();
        return HttpResponse.ok(key.pem()).contentType(MediaType.of(PEM)).header("X-Audit-Key-Id", key.keyId());
    }

    @Post("/checkpoint")
    public CheckpointView checkpoint() {
        return checkpointer.checkpointNow().map(CheckpointView::of)
                .orElseThrow(() -> new ConflictException("the audit log has no live records to sign yet"));
    }

    private static String actor(HttpRequest<?> request) {
        return request.getAttribute(AdminAuthFilter.CALLER_ATTRIBUTE, AdminCaller.class).map(caller -> "admin:" + caller.name())
                .orElse("admin:<unknown>");
    }

    private static String source(HttpRequest<?> request) {
        return request.getRemoteAddress().getAddress() == null ? null
                : request.getRemoteAddress().getAddress().getHostAddress();
    }
}
