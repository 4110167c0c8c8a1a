package dev.portcullis.core.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.pki.authority.CertificateAuthority;
import dev.portcullis.pki.cert.CertificateRequest;
import dev.portcullis.pki.cert.KeyPairs;
import dev.portcullis.pki.cert.PeerIdentity;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ExportTest {

    private static AuditFixture audit;
    private static String all;

    @BeforeAll
    static void buildLog() {
        audit = new AuditFixture();
        audit.appendVaried(120, 10, new Random(11));
        audit.log.append(new AuditEvent("user:zoë", "mfa.totp.failed", "quote \" backslash \\ bracket ] end", "2001:db8::1",
                AuditEvent.Outcome.DENIED, Map.of("reason", "a \"b\" \\c\\ [d] 🔑", "attempt", "3")));
        audit.log.append(AuditEvent.of("core", "gateway.admit.failed", "gw-1", AuditEvent.Outcome.FAILURE));
        audit.checkpointer.checkpointNow().orElseThrow();
        all = audit.exportAll();
    }

    @AfterAll
    static void close() {
        audit.close();
    }

    @Test
    void anExportResumedFromItsCursorEqualsTheExportOfEverything() throws IOException {
        for (long first : List.of(0L, 1L, 2L, 9L, 10L, 11L, 57L, 121L, 122L, 500L)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            long cursor = audit.exporter.jsonLines(0, first, out);
            cursor = audit.exporter.jsonLines(cursor, Long.MAX_VALUE, out);

            assertThat(out.toString(StandardCharsets.UTF_8)).as("split after %d records", first).isEqualTo(all);
            assertThat(cursor).isEqualTo(123);
        }
        ByteArrayOutputStream paged = new ByteArrayOutputStream();
        long cursor = 0;
        for (int page = 0; page < 100; page++) {
            cursor = audit.exporter.jsonLines(cursor, 7, paged);
        }
        assertThat(paged.toString(StandardCharsets.UTF_8)).isEqualTo(all);
    }

    @Test
    void theJsonLinesExportReadsBackToTheSameEntriesAndVerifies() throws IOException {
        List<AuditEntry> entries = new ArrayList<>();
        try (AuditJsonLines.Reader reader = new AuditJsonLines.Reader(new ByteArrayInputStream(all.getBytes(StandardCharsets.UTF_8)))) {
            AuditEntry entry;
            while ((entry = reader.next()) != null) {
                entries.add(entry);
            }
        }
        StringBuilder again = new StringBuilder();
        entries.forEach(e -> AuditJsonLines.write(e, again));

        assertThat(again.toString()).isEqualTo(all);
        assertThat(entries.stream().filter(e -> e instanceof AuditRecord)).hasSize(122);
        assertThat(all.lines()).allMatch(line -> line.startsWith("{\"type\":\"record\"") || line.startsWith("{\"type\":\"checkpoint\""));
        assertThat(all).contains("\"subject\":\"quote \\\" backslash \\\\ bracket ] end\"");
        assertThat(audit.verifyText(all, AuditVerifier.Options.STRICT).intact()).isTrue();
    }

    @Test
    void syslogFramesParseByTheGrammarWithEscapedValuesAndSeverityByOutcome() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        audit.exporter.syslog(0, Long.MAX_VALUE, new AuditSyslog("core-1.example"), out);

        List<SyslogParser.Message> messages = SyslogParser.messages(out.toByteArray());
        List<AuditEntry> entries = entries(all);

        assertThat(messages).hasSize(entries.size());
        RecordDigest digest = new RecordDigest();
        for (int i = 0; i < messages.size(); i++) {
            SyslogParser.Message m = messages.get(i);
            assertThat(m.facility()).isEqualTo(10);
            assertThat(m.version()).isEqualTo(1);
            assertThat(m.hostname()).isEqualTo("core-1.example");
            assertThat(m.appName()).isEqualTo("portcullis-core");
            assertThat(m.procId()).isEqualTo("-");
            if (entries.get(i) instanceof AuditRecord r) {
                assertThat(m.severity()).isEqualTo(switch (r.outcome()) {
                    case "SUCCESS" -> 5;
                    case "DENIED" -> 4;
                    default -> 3;
                });
                assertThat(m.timestamp()).isEqualTo(r.recordedAt().toString());
                assertThat(m.msgId()).isEqualTo(r.action());
                Map<String, String> sd = m.structuredData().get("audit@32473");
                Map<String, String> details = m.structuredData().getOrDefault("details@32473", Map.of());
                assertThat(details).isEqualTo(r.details());
                assertThat(m.msg()).startsWith("\uFEFF");
                // the collector's copy carries everything needed to recompute the hash
                AuditHash recomputed = digest.hash(AuditHash.fromHex(sd.get("prev_hash")), Long.parseLong(sd.get("seq")),
                        Instant.parse(sd.get("recorded_at")), sd.get("actor"), sd.get("action"), sd.get("subject"),
                        sd.get("source_address"), sd.get("outcome"), new TreeMap<>(details));
                assertThat(recomputed.hex()).isEqualTo(sd.get("hash")).isEqualTo(r.hash().hex());
            } else {
                AuditCheckpoint c = (AuditCheckpoint) entries.get(i);
                assertThat(m.severity()).isEqualTo(6);
                assertThat(m.msgId()).isEqualTo("audit.checkpoint");
                assertThat(m.structuredData().get("checkpoint@32473")).isEqualTo(Map.of("seq", Long.toString(c.seq()),
                        "hash", c.hash().hex(), "signed_at", c.signedAt().toString(), "key_id", c.keyId(),
                        "signature", HexFormat.of().formatHex(c.signature())));
            }
        }
        SyslogParser.Message special = messages.stream().filter(m -> "mfa.totp.failed".equals(m.msgId())
                && m.structuredData().get("audit@32473").get("actor").equals("user:zoë")).findFirst().orElseThrow();
        assertThat(special.pri()).isEqualTo(84);
        assertThat(special.structuredData().get("audit@32473").get("subject")).isEqualTo("quote \" backslash \\ bracket ] end");
        assertThat(special.structuredData().get("details@32473").get("reason")).isEqualTo("a \"b\" \\c\\ [d] 🔑");
        String raw = new AuditSyslog("h").message(entries.stream().filter(e -> e instanceof AuditRecord r
                && r.actor().equals("user:zoë")).findFirst().orElseThrow());
        assertThat(raw).contains("subject=\"quote \\\" backslash \\\\ bracket \\] end\"");
        assertThat(messages.stream().filter(m -> "gateway.admit.failed".equals(m.msgId())).findFirst().orElseThrow().pri())
                .isEqualTo(83);
    }

    @Test
    void aTcpCollectorReceivesEveryEntryAsAnOctetCountedFrame() throws Exception {
        try (ServerSocket collector = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Future<byte[]> received = receive(() -> collector.accept());
            try (Socket socket = AuditSyslog.connect("127.0.0.1", collector.getLocalPort(), Optional.empty())) {
                audit.exporter.syslog(0, Long.MAX_VALUE, new AuditSyslog("core-1"), socket.getOutputStream());
            }
            ByteArrayOutputStream expected = new ByteArrayOutputStream();
            audit.exporter.syslog(0, Long.MAX_VALUE, new AuditSyslog("core-1"), expected);

            byte[] bytes = received.get(30, TimeUnit.SECONDS);
            assertThat(bytes).isEqualTo(expected.toByteArray());
            assertThat(SyslogParser.messages(bytes)).hasSize(entries(all).size());
        }
    }

    @Test
    void aTlsCollectorReceivesTheFramesAndAnUntrustedOneIsRefused() throws Exception {
        CertificateAuthority collectorCa = CertificateAuthority.create("collector CA", Clock.systemUTC());
        KeyPair keys = KeyPairs.generate();
        X509Certificate certificate = collectorCa.issueComponent(CertificateRequest.create(keys, "collector"),
                PeerIdentity.component(PeerIdentity.Role.GATEWAY, UUID.randomUUID().toString()), List.of("127.0.0.1"),
                Duration.ofDays(1));
        Path trust = Files.createTempFile(audit.directory, "collector-ca", ".pem");
        Files.writeString(trust, pem(collectorCa.certificate()));
        Path otherTrust = Files.createTempFile(audit.directory, "other-ca", ".pem");
        Files.writeString(otherTrust, pem(CertificateAuthority.create("other CA", Clock.systemUTC()).certificate()));

        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("collector", keys.getPrivate(), new char[0], new Certificate[] {certificate, collectorCa.certificate()});
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(store, new char[0]);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyManagers.getKeyManagers(), null, null);
        try (SSLServerSocket collector = (SSLServerSocket) context.getServerSocketFactory()
                .createServerSocket(0, 2, InetAddress.getLoopbackAddress())) {
            Future<byte[]> received = receive(() -> collector.accept());
            try (Socket socket = AuditSyslog.connect("127.0.0.1", collector.getLocalPort(), Optional.of(trust))) {
                audit.exporter.syslog(0, 5, new AuditSyslog("core-1"), socket.getOutputStream());
            }
            List<SyslogParser.Message> messages = SyslogParser.messages(received.get(30, TimeUnit.SECONDS));
            assertThat(messages).extracting(m -> m.structuredData().containsKey("audit@32473") ? "record" : "checkpoint")
                    .containsExactly("record", "record", "record", "record", "record");

            Future<byte[]> refused = receive(() -> collector.accept());
            assertThatThrownBy(() -> AuditSyslog.connect("127.0.0.1", collector.getLocalPort(), Optional.of(otherTrust)))
                    .isInstanceOf(IOException.class);
            assertThatThrownBy(() -> refused.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(IOException.class);
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------

    @FunctionalInterface
    private interface Accept {
        Socket accept() throws IOException;
    }

    private static Future<byte[]> receive(Accept accept) {
        ExecutorService thread = Executors.newSingleThreadExecutor();
        Future<byte[]> result = thread.submit(() -> {
            try (Socket connection = accept.accept(); InputStream in = connection.getInputStream()) {
                return SyslogParser.readAll(in);
            }
        });
        thread.shutdown();
        return result;
    }

    private static String pem(X509Certificate certificate) throws Exception {
        return "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(certificate.getEncoded()) + "\n-----END CERTIFICATE-----\n";
    }

    private static List<AuditEntry> entries(String jsonLines) throws IOException {
        List<AuditEntry> entries = new ArrayList<>();
        try (AuditJsonLines.Reader reader = new AuditJsonLines.Reader(new ByteArrayInputStream(jsonLines.getBytes(StandardCharsets.UTF_8)))) {
            AuditEntry entry;
            while ((entry = reader.next()) != null) {
                entries.add(entry);
            }
        }
        return entries;
    }
}
