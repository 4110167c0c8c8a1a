package dev.portcullis.core.audit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.micronaut.serde.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code portcullis-admin audit ...}: verify the log (live through the admin API, or an exported
 * file offline with the public key), export it as JSON lines or syslog (to a file, stdout, or a TCP
 * or TLS collector), fetch the public key, sign the head now.
 * <p>
 * Connection settings come from {@code portcullis-admin}'s inherited {@code --url} and
 * {@code --token-file} when registered under it, else from {@code PORTCULLIS_ADMIN_URL},
 * {@code PORTCULLIS_ADMIN_TOKEN} and {@code PORTCULLIS_HOME}, like the rest of the CLI.
 * Exit codes: 0 done (verify: intact), 1 could not do it, 2 usage error, 3 verify: the log is broken.
 */
@Command(name = "audit", description = "Verify, export and inspect the tamper-evident audit log.",
        subcommands = {AuditCommand.Verify.class, AuditCommand.Export.class, AuditCommand.PublicKey.class,
                AuditCommand.Checkpoint.class},
        footer = {"", "Exit codes: 0 done (verify: intact), 1 could not do it, 2 usage error, 3 verify: the log is broken."})
public final class AuditCommand implements Runnable {

    /** Exit code of {@code verify} when the log is broken (distinct from "could not check"). */
    public static final int EXIT_BROKEN = 3;
    static final String DEFAULT_URL = "http://127.0.0.1:8080";
    /** Verifying a large live log takes a while; anything else answers in well under this. */
    private static final Duration TIMEOUT = Duration.ofMinutes(5);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final JsonFactory JSON = new JsonFactory();

    @Spec
    CommandLine.Model.CommandSpec spec;

    private final Map<String, String> env;

    public AuditCommand() {
        this(System.getenv());
    }

    /** With the environment to read PORTCULLIS_ADMIN_URL, PORTCULLIS_ADMIN_TOKEN and PORTCULLIS_HOME from. */
    public AuditCommand(Map<String, String> env) {
        this.env = env;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "missing subcommand (verify, export, public-key, checkpoint)");
    }

    // ---- verify -----------------------------------------------------------------------------------

    @Command(name = "verify", description = {"Verify the audit log: the live database (through the admin API), or with "
            + "--file an export offline, checking every hash, the seq order and every checkpoint signature against "
            + "--public-key.", "Prints the first broken record, if any."})
    static final class Verify implements Callable<Integer> {
        @ParentCommand
        AuditCommand parent;
        @Option(names = "--file", paramLabel = "JSONL", description = "an exported JSON-lines file to verify offline")
        Path file;
        @Option(names = "--public-key", paramLabel = "PEM",
                description = "the audit public key (portcullis-admin audit public-key); repeat for older keys")
        List<Path> publicKeys = new ArrayList<>();
        @Option(names = "--manifest", paramLabel = "FILE",
                description = "verify --file as an archived segment against this signed manifest (<segment>.manifest.json)")
        Path manifest;
        @Option(names = "--allow-unsigned-tail",
                description = "accept records after the last checkpoint (an export made with --no-checkpoint)")
        boolean allowUnsignedTail;
        @Option(names = "--partial", description = "the file starts mid-log without its anchor (a resumed export)")
        boolean partial;
        @Option(names = "--trusted-checkpoint", paramLabel = "FILE", description = "a checkpoint line kept from an earlier "
                + "export or a syslog collector: the file must reach it and match it (catches a cut after a checkpoint)")
        Path trustedCheckpoint;

        @Override
        public Integer call() {
            return parent.guarded(() -> {
                if (file == null) {
                    if (manifest != null || !publicKeys.isEmpty() || allowUnsignedTail || partial
                            || trustedCheckpoint != null) {
                        throw new CommandLine.ParameterException(parent.spec.commandLine(), "--public-key, --manifest, "
                                + "--allow-unsigned-tail, --partial and --trusted-checkpoint need --file");
                    }
                    return live();
                }
                if (publicKeys.isEmpty()) {
                    throw new CommandLine.ParameterException(parent.spec.commandLine(),
                            "offline verification needs --public-key (get it with: portcullis-admin audit public-key)");
                }
                List<AuditPublicKey> keys = new ArrayList<>();
                for (Path pem : publicKeys) {
                    try {
                        keys.add(AuditPublicKey.fromPem(Files.readString(pem, StandardCharsets.US_ASCII)));
                    } catch (IOException | IllegalArgumentException e) {
                        throw new Failure("cannot read the public key " + pem + ": " + e.getMessage());
                    }
                }
                AuditVerification result;
                try {
                    result = manifest != null
                            ? AuditVerifier.verifySegment(file, AuditVerifier.readManifest(manifest), keys)
                            : AuditVerifier.verifyFile(file, keys,
                            new AuditVerifier.Options(!allowUnsignedTail, partial, trusted()));
                } catch (IOException e) {
                    throw new Failure("cannot read " + e.getMessage());
                }
                parent.out().println(file + ": " + result.summary());
                return result.intact() ? 0 : EXIT_BROKEN;
            });
        }

        private AuditCheckpoint trusted() throws IOException {
            if (trustedCheckpoint == null) {
                return null;
            }
            try (InputStream in = Files.newInputStream(trustedCheckpoint);
                 AuditJsonLines.Reader reader = new AuditJsonLines.Reader(in)) {
                if (reader.next() instanceof AuditCheckpoint checkpoint && reader.next() == null) {
                    return checkpoint;
                }
            }
            throw new Failure(trustedCheckpoint + " does not hold exactly one checkpoint line");
        }

        private int live() throws IOException {
            Api api = parent.api();
            String body = api.send("POST", "/api/v1/audit/verify", "application/json").body();
            AuditController.VerificationView view = ObjectMapper.getDefault().readValue(body,
                    AuditController.VerificationView.class);
            parent.out().println(parent.jsonOutput() ? body : "live audit log at " + api.baseUrl + ": " + view.summary());
            return view.intact() ? 0 : EXIT_BROKEN;
        }
    }

    // ---- export -----------------------------------------------------------------------------------

    /** Output formats of {@code export}. */
    enum Format { jsonl, syslog }

    @Command(name = "export", description = {"Export the audit log from a cursor (a seq) as JSON lines or RFC 5424 syslog "
            + "(octet-counted frames) to a file, stdout, or a TCP/TLS collector.",
            "First signs the head (unless --no-checkpoint), so the export ends with a checkpoint and verifies offline. "
                    + "Prints the cursor to resume from."})
    static final class Export implements Callable<Integer> {
        @ParentCommand
        AuditCommand parent;
        @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "jsonl", description = "jsonl (default) or syslog")
        Format format;
        @Option(names = "--from", paramLabel = "CURSOR", defaultValue = "0",
                description = "first seq to export (default 0: all)")
        long from;
        @Option(names = "--out", paramLabel = "FILE", description = "write to FILE (default: stdout)")
        Path out;
        @Option(names = "--append", description = "append to --out instead of replacing it (for resumed exports)")
        boolean append;
        @Option(names = "--tcp", paramLabel = "HOST:PORT", description = "send to a collector over TCP")
        String tcp;
        @Option(names = "--tls", description = "use TLS to the --tcp collector (needs --trust)")
        boolean tls;
        @Option(names = "--trust", paramLabel = "PEM",
                description = "CA certificate(s) the TLS collector's certificate must chain to")
        Path trust;
        @Option(names = "--hostname", paramLabel = "NAME",
                description = "syslog HOSTNAME field (default: core's admin host)")
        String hostname;
        @Option(names = "--no-checkpoint", description = "do not sign the head first (the export may end unsigned)")
        boolean noCheckpoint;

        @Override
        public Integer call() {
            return parent.guarded(() -> {
                CommandLine commandLine = parent.spec.commandLine();
                if (out != null && tcp != null) {
                    throw new CommandLine.ParameterException(commandLine, "give --out or --tcp, not both");
                }
                if (tls != (trust != null) || tls && tcp == null) {
                    throw new CommandLine.ParameterException(commandLine,
                            "--tls needs --tcp and --trust (and --trust needs --tls)");
                }
                if (append && out == null) {
                    throw new CommandLine.ParameterException(commandLine, "--append needs --out");
                }
                if (from < 0) {
                    throw new CommandLine.ParameterException(commandLine, "--from must be 0 or more");
                }
                Api api = parent.api();
                long until = Long.MAX_VALUE;
                if (!noCheckpoint) {
                    Optional<String> signed = api.sendUnlessConflict("POST", "/api/v1/audit/checkpoint");
                    until = signed.isEmpty() ? 0 : ObjectMapper.getDefault()
                            .readValue(signed.get(), AuditController.CheckpointView.class).seq();
                }
                AuditSyslog syslog = new AuditSyslog(hostname != null ? hostname : api.baseUrl.getHost());
                try (Destination destination = destination()) {
                    Summary summary = copy(api, until, syslog, destination.stream());
                    PrintWriter report = out == null && tcp == null ? parent.err() : parent.out();
                    report.println("exported " + summary.records + " records" + (summary.records == 0 ? ""
                            : " (seq " + summary.first + ".." + summary.last + ")") + " and " + summary.checkpoints
                            + " checkpoints as " + format + " to " + destination.name() + "; resume with --from "
                            + summary.next);
                }
                return 0;
            });
        }

        private Summary copy(Api api, long until, AuditSyslog syslog, OutputStream sink) throws IOException {
            Summary summary = new Summary();
            summary.next = from;
            long cursor = from;
            while (cursor <= until) {
                HttpResponse<String> page = api.send("GET", "/api/v1/audit/records?from=" + cursor + "&limit="
                        + AuditController.MAX_PAGE, AuditController.JSON_LINES);
                long pageNext = page.headers().firstValue(AuditController.NEXT_CURSOR).map(Long::parseLong)
                        .orElseThrow(() -> new Failure("core's answer has no " + AuditController.NEXT_CURSOR + " header"));
                boolean anyRecord = false;
                try (AuditJsonLines.Reader reader = new AuditJsonLines.Reader(
                        new ByteArrayInputStream(page.body().getBytes(StandardCharsets.UTF_8)))) {
                    AuditEntry entry;
                    while ((entry = reader.next()) != null) {
                        if (entry.seq() > until) {
                            return summary;
                        }
                        sink.write(format == Format.syslog ? syslog.frame(entry)
                                : AuditJsonLines.line(entry).getBytes(StandardCharsets.UTF_8));
                        if (entry instanceof AuditRecord record) {
                            anyRecord = true;
                            summary.first = summary.records++ == 0 ? record.seq() : summary.first;
                            summary.last = record.seq();
                            summary.next = record.seq() + 1;
                        } else if (entry instanceof AuditCheckpoint) {
                            summary.checkpoints++;
                        }
                    }
                }
                sink.flush();
                if (!anyRecord || pageNext <= cursor) {
                    break;
                }
                cursor = pageNext;
            }
            return summary;
        }

        private Destination destination() throws IOException {
            if (out != null) {
                OutputStream file = Files.newOutputStream(out, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
                return new Destination(file, out.toString(), file);
            }
            if (tcp != null) {
                int colon = tcp.lastIndexOf(':');
                int port;
                try {
                    port = Integer.parseInt(tcp.substring(colon + 1));
                } catch (NumberFormatException | IndexOutOfBoundsException e) {
                    port = -1;
                }
                if (colon < 1 || port < 1 || port > 65535) {
                    throw new CommandLine.ParameterException(parent.spec.commandLine(), "--tcp must be HOST:PORT");
                }
                String host = tcp.substring(0, colon).replace("[", "").replace("]", "");
                Socket socket = AuditSyslog.connect(host, port, Optional.ofNullable(trust));
                return new Destination(socket.getOutputStream(), (tls ? "tls://" : "tcp://") + tcp, socket);
            }
            LinesToWriter toWriter = new LinesToWriter(parent.out());
            return new Destination(toWriter, "stdout", toWriter);
        }

        /**
         * The export's UTF-8 bytes onto the command's writer, a whole line at a time: a newline byte
         * never occurs inside a multi-byte UTF-8 sequence, so every line decodes on its own.
         */
        private static final class LinesToWriter extends OutputStream {
            private final PrintWriter out;
            private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

            LinesToWriter(PrintWriter out) {
                this.out = out;
            }

            @Override
            public void write(int b) {
                pending.write(b);
            }

            @Override
            public void write(byte[] bytes, int offset, int length) {
                pending.write(bytes, offset, length);
            }

            @Override
            public void flush() {
                byte[] bytes = pending.toByteArray();
                int end = bytes.length;
                while (end > 0 && bytes[end - 1] != '\n') {
                    end--;
                }
                out.print(new String(bytes, 0, end, StandardCharsets.UTF_8));
                pending.reset();
                pending.write(bytes, end, bytes.length - end);
                out.flush();
            }

            @Override
            public void close() {
                flush();
                out.print(pending.toString(StandardCharsets.UTF_8));
                pending.reset();
                out.flush();
            }
        }

        private static final class Summary {
            long records;
            long first;
            long last;
            long checkpoints;
            long next;
        }

        private record Destination(OutputStream stream, String name, AutoCloseable resource) implements AutoCloseable {
            @Override
            public void close() throws IOException {
                try {
                    stream.flush();
                    resource.close();
                } catch (IOException e) {
                    throw e;
                } catch (Exception e) {
                    throw new IOException(e);
                }
            }
        }
    }

    // ---- public-key, checkpoint --------------------------------------------------------------------

    @Command(name = "public-key",
            description = "Print the audit public key (PEM): give it to auditors for offline verification.")
    static final class PublicKey implements Callable<Integer> {
        @ParentCommand
        AuditCommand parent;
        @Option(names = "--out", paramLabel = "FILE", description = "write the PEM to FILE instead of stdout")
        Path out;

        @Override
        public Integer call() {
            return parent.guarded(() -> {
                String pem = parent.api().send("GET", "/api/v1/audit/public-key", AuditController.PEM).body();
                AuditPublicKey key = AuditPublicKey.fromPem(pem);
                if (out != null) {
                    Files.writeString(out, key.pem(), StandardCharsets.US_ASCII);
                    parent.out().println("audit public key " + key.keyId() + " written to " + out);
                } else {
                    parent.out().print(key.pem());
                }
                return 0;
            });
        }
    }

    @Command(name = "checkpoint", description = "Sign the head of the audit log now (core also does it every minute).")
    static final class Checkpoint implements Callable<Integer> {
        @ParentCommand
        AuditCommand parent;

        @Override
        public Integer call() {
            return parent.guarded(() -> {
                Optional<String> body = parent.api().sendUnlessConflict("POST", "/api/v1/audit/checkpoint");
                if (body.isEmpty()) {
                    parent.out().println("nothing to sign: the audit log has no live records yet");
                    return 0;
                }
                if (parent.jsonOutput()) {
                    parent.out().println(body.get());
                    return 0;
                }
                AuditController.CheckpointView view = ObjectMapper.getDefault().readValue(body.get(),
                        AuditController.CheckpointView.class);
                parent.out().println("audit log signed through seq " + view.seq() + " (hash " + view.hash() + ") at "
                        + view.signedAt() + " by key " + view.keyId());
                return 0;
            });
        }
    }

    // ---- plumbing ---------------------------------------------------------------------------------

    /** A failure reported as one line, exit code 1. */
    static final class Failure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Failure(String message) {
            super(message);
        }
    }

    @FunctionalInterface
    interface Action {
        int run() throws IOException;
    }

    int guarded(Action action) {
        try {
            return action.run();
        } catch (CommandLine.ParameterException e) {
            throw e;
        } catch (Failure e) {
            err().println("portcullis-admin: " + e.getMessage());
            return 1;
        } catch (IOException | RuntimeException e) {
            err().println("portcullis-admin: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
            return 1;
        }
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /** {@code --json} of portcullis-admin, when registered under it. */
    boolean jsonOutput() {
        Object json = inherited("--json");
        return json instanceof Boolean b && b;
    }

    private Object inherited(String name) {
        CommandLine.Model.OptionSpec option = spec.findOption(name);
        if (option == null && spec.root() != spec) {
            option = spec.root().findOption(name);
        }
        return option == null ? null : option.getValue();
    }

    Api api() {
        Object url = inherited("--url");
        URI base = URI.create(url != null ? url.toString() : env.getOrDefault("PORTCULLIS_ADMIN_URL", DEFAULT_URL));
        Object tokenFile = inherited("--token-file");
        if (tokenFile == null && env.get("PORTCULLIS_ADMIN_TOKEN") != null && !env.get("PORTCULLIS_ADMIN_TOKEN").isBlank()) {
            return new Api(base, env.get("PORTCULLIS_ADMIN_TOKEN").strip(), "$PORTCULLIS_ADMIN_TOKEN");
        }
        Path file = tokenFile != null ? Path.of(tokenFile.toString()) : defaultTokenFile();
        return new Api(base, readToken(file), file.toString());
    }

    private Path defaultTokenFile() {
        String home = env.get("PORTCULLIS_HOME");
        return home != null && !home.isBlank() ? Path.of(home, "admin-token")
                : Path.of(".portcullis", "core", "admin-token");
    }

    private static String readToken(Path file) {
        try {
            String token = Files.readString(file, StandardCharsets.US_ASCII).strip();
            if (token.isEmpty()) {
                throw new Failure("no admin token: " + file + " is empty");
            }
            return token;
        } catch (IOException e) {
            throw new Failure("no admin token: cannot read " + file
                    + "; pass --token-file FILE or set PORTCULLIS_ADMIN_TOKEN");
        }
    }

    /** Calls core's admin API; every failure becomes a {@link Failure} that says what to do. */
    static final class Api {
        final URI baseUrl;
        private final String token;
        private final String tokenSource;
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER).build();

        Api(URI baseUrl, String token, String tokenSource) {
            this.baseUrl = baseUrl;
            this.token = token;
            this.tokenSource = tokenSource;
        }

        HttpResponse<String> send(String method, String path, String accept) {
            HttpResponse<String> response = exchange(method, path, accept);
            if (response.statusCode() < 200 || response.statusCode() > 299) {
                throw new Failure(error(response));
            }
            return response;
        }

        /** The body, or empty when core answers 409 (nothing to do). */
        Optional<String> sendUnlessConflict(String method, String path) {
            HttpResponse<String> response = exchange(method, path, "application/json");
            if (response.statusCode() == 409) {
                return Optional.empty();
            }
            if (response.statusCode() < 200 || response.statusCode() > 299) {
                throw new Failure(error(response));
            }
            return Optional.of(response.body());
        }

        private HttpResponse<String> exchange(String method, String path, String accept) {
            String base = baseUrl.toString();
            String root = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
            HttpRequest request = HttpRequest.newBuilder(URI.create(root + path))
                    .timeout(TIMEOUT)
                    .header("Authorization", "Bearer " + token)
                    .header("Accept", accept)
                    .method(method, HttpRequest.BodyPublishers.noBody())
                    .build();
            HttpResponse<String> response;
            try {
                response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new Failure("cannot reach the core admin API at " + baseUrl + ": is core running? ("
                        + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ")");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Failure("interrupted");
            }
            if (response.statusCode() == 401) {
                throw new Failure("admin token rejected: check --token-file (token from " + tokenSource + ")");
            }
            return response;
        }

        private static String error(HttpResponse<String> response) {
            try (JsonParser parser = JSON.createParser(response.body())) {
                if (parser.nextToken() == JsonToken.START_OBJECT) {
                    while (parser.nextToken() == JsonToken.FIELD_NAME) {
                        String name = parser.currentName();
                        JsonToken value = parser.nextToken();
                        if ("error".equals(name) && value == JsonToken.VALUE_STRING) {
                            return parser.getText();
                        }
                        parser.skipChildren();
                    }
                }
            } catch (IOException e) {
                // not our error shape
            }
            return "core answered HTTP " + response.statusCode();
        }
    }
}
