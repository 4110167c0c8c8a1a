package dev.portcullis.core.audit;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * RFC 5424 syslog messages for audit entries, framed for TCP with RFC 6587 octet counting
 * ({@code MSG-LEN SP SYSLOG-MSG}; the same bytes are written to a file). Facility is authpriv (10);
 * severity follows the outcome: SUCCESS notice (5), DENIED warning (4), FAILURE error (3); checkpoints
 * and segments are informational (6). Every field a verifier needs (seq, times, hashes, signatures) is
 * in structured data, so a collector holds a verifiable copy:
 * <pre>
 * &lt;85&gt;1 2026-11-22T10:15:30.123456Z core-1 portcullis-core - invite.issued
 *   [audit@32473 seq="7" recorded_at="…" actor="admin:alice" action="invite.issued" subject="bob"
 *    source_address="10.0.0.5" outcome="SUCCESS" prev_hash="…" hash="…"][details@32473 expires_in="86400"] BOM…
 * </pre>
 * In parameter values {@code "}, {@code \} and {@code ]} are escaped with a backslash (RFC 5424 §6.3.3).
 */
public final class AuditSyslog {

    static final int FACILITY_AUTHPRIV = 10;
    static final int SEVERITY_ERROR = 3;
    static final int SEVERITY_WARNING = 4;
    static final int SEVERITY_NOTICE = 5;
    static final int SEVERITY_INFORMATIONAL = 6;
    /**
     * The private enterprise number in SD-IDs. 32473 is the number RFC 5612 reserves for documentation
     * examples; replace it with Portcullis' own once registered with IANA (collectors key on the SD-ID).
     */
    static final String ENTERPRISE_NUMBER = "32473";
    static final String APP_NAME = "portcullis-core";
    /** RFC 5424 §6.2.4: HOSTNAME is at most 255 printable ASCII characters. */
    private static final int MAX_HOSTNAME = 255;
    /** RFC 5424 §6.2.7 and §6.3.3: MSGID and PARAM-NAME are at most 32 printable ASCII characters. */
    private static final int MAX_NAME = 32;
    private static final String BOM = "\uFEFF";
    /** Connecting and the TLS handshake to a collector must not hang an export forever. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private final String hostname;

    /** {@code hostname} is the HOSTNAME field ("-" if empty). */
    public AuditSyslog(String hostname) {
        String printable = printableAscii(hostname == null ? "" : hostname, MAX_HOSTNAME);
        this.hostname = printable.isEmpty() ? "-" : printable;
    }

    /** Messages naming this machine (its canonical host name, "-" if it has none). */
    public static AuditSyslog forLocalHost() {
        try {
            return new AuditSyslog(InetAddress.getLocalHost().getHostName());
        } catch (UnknownHostException e) {
            return new AuditSyslog("-");
        }
    }

    /** The frame: the message's length in octets, a space, the message (no trailing newline). */
    public byte[] frame(AuditEntry entry) {
        byte[] message = message(entry).getBytes(StandardCharsets.UTF_8);
        byte[] prefix = (message.length + " ").getBytes(StandardCharsets.US_ASCII);
        byte[] frame = new byte[prefix.length + message.length];
        System.arraycopy(prefix, 0, frame, 0, prefix.length);
        System.arraycopy(message, 0, frame, prefix.length, message.length);
        return frame;
    }

    /** The RFC 5424 message for {@code entry}. */
    public String message(AuditEntry entry) {
        StringBuilder out = new StringBuilder(512);
        if (entry instanceof AuditRecord r) {
            header(out, severity(r.outcome()), r.recordedAt().toString(), r.action());
            out.append("[audit@").append(ENTERPRISE_NUMBER);
            param(out, "seq", Long.toString(r.seq()));
            param(out, "recorded_at", r.recordedAt().toString());
            param(out, "actor", r.actor());
            param(out, "action", r.action());
            param(out, "subject", r.subject());
            if (r.sourceAddress() != null) {
                param(out, "source_address", r.sourceAddress());
            }
            param(out, "outcome", r.outcome());
            param(out, "prev_hash", r.prevHash().hex());
            param(out, "hash", r.hash().hex());
            out.append(']');
            if (!r.details().isEmpty()) {
                out.append("[details@").append(ENTERPRISE_NUMBER);
                for (Map.Entry<String, String> detail : r.details().entrySet()) {
                    param(out, printableName(detail.getKey()), detail.getValue());
                }
                out.append(']');
            }
            out.append(' ').append(BOM).append(r.actor()).append(' ').append(r.action()).append(' ').append(r.subject())
                    .append(": ").append(r.outcome());
        } else if (entry instanceof AuditCheckpoint c) {
            header(out, SEVERITY_INFORMATIONAL, c.signedAt().toString(), "audit.checkpoint");
            out.append("[checkpoint@").append(ENTERPRISE_NUMBER);
            param(out, "seq", Long.toString(c.seq()));
            param(out, "hash", c.hash().hex());
            param(out, "signed_at", c.signedAt().toString());
            param(out, "key_id", c.keyId());
            param(out, "signature", HexFormat.of().formatHex(c.signature()));
            out.append("] ").append(BOM).append("audit log signed through seq ").append(c.seq());
        } else if (entry instanceof AuditSegment s) {
            header(out, SEVERITY_INFORMATIONAL, s.sealedAt().toString(), "audit.segment");
            out.append("[segment@").append(ENTERPRISE_NUMBER);
            param(out, "first_seq", Long.toString(s.firstSeq()));
            param(out, "last_seq", Long.toString(s.lastSeq()));
            param(out, "prev_hash", s.prevHash().hex());
            param(out, "last_hash", s.lastHash().hex());
            param(out, "record_count", Long.toString(s.recordCount()));
            param(out, "sealed_at", s.sealedAt().toString());
            param(out, "file_name", s.fileName());
            param(out, "file_sha256", HexFormat.of().formatHex(s.fileSha256()));
            param(out, "key_id", s.keyId());
            param(out, "signature", HexFormat.of().formatHex(s.signature()));
            out.append("] ").append(BOM).append("audit records ").append(s.firstSeq()).append("..").append(s.lastSeq())
                    .append(" archived");
        }
        return out.toString();
    }

    static int severity(String outcome) {
        return switch (outcome) {
            case "SUCCESS" -> SEVERITY_NOTICE;
            case "FAILURE" -> SEVERITY_ERROR;
            default -> SEVERITY_WARNING;
        };
    }

    private void header(StringBuilder out, int severity, String timestamp, String msgId) {
        String id = printableAscii(msgId, MAX_NAME);
        out.append('<').append(FACILITY_AUTHPRIV * 8 + severity).append(">1 ").append(timestamp).append(' ')
                .append(hostname).append(' ').append(APP_NAME).append(" - ").append(id.isEmpty() ? "-" : id).append(' ');
    }

    private static void param(StringBuilder out, String name, String value) {
        out.append(' ').append(name).append("=\"");
        escape(out, value);
        out.append('"');
    }

    /** RFC 5424 §6.3.3: inside PARAM-VALUE, {@code "}, {@code \} and {@code ]} must be escaped with {@code \}. */
    static void escape(StringBuilder out, String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\' || c == ']') {
                out.append('\\');
            }
            out.append(c);
        }
    }

    /** A PARAM-NAME: printable ASCII except {@code = ] "} and space, at most 32 characters. */
    private static String printableName(String key) {
        StringBuilder name = new StringBuilder(Math.min(key.length(), MAX_NAME));
        for (int i = 0; i < key.length() && name.length() < MAX_NAME; i++) {
            char c = key.charAt(i);
            name.append(c > 32 && c < 127 && c != '=' && c != ']' && c != '"' ? c : '_');
        }
        return name.length() == 0 ? "_" : name.toString();
    }

    private static String printableAscii(String text, int max) {
        StringBuilder out = new StringBuilder(Math.min(text.length(), max));
        for (int i = 0; i < text.length() && out.length() < max; i++) {
            char c = text.charAt(i);
            out.append(c > 32 && c < 127 ? c : '_');
        }
        return out.toString();
    }

    // ---- transport --------------------------------------------------------------------------------

    /**
     * Connects to a syslog collector over TCP, or over TLS if {@code trustPem} is given: the collector's
     * certificate must chain to a certificate in that PEM file and name {@code host} (hostname verification on).
     */
    public static Socket connect(String host, int port, Optional<Path> trustPem) throws IOException {
        Socket plain = new Socket();
        try {
            plain.connect(new InetSocketAddress(host, port), (int) CONNECT_TIMEOUT.toMillis());
            if (trustPem.isEmpty()) {
                return plain;
            }
            plain.setSoTimeout((int) CONNECT_TIMEOUT.toMillis());
            SSLSocket tls = (SSLSocket) trustingOnly(trustPem.get()).getSocketFactory()
                    .createSocket(plain, host, port, true);
            SSLParameters parameters = tls.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            parameters.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
            tls.setSSLParameters(parameters);
            tls.startHandshake();
            tls.setSoTimeout(0);
            return tls;
        } catch (IOException | RuntimeException e) {
            plain.close();
            throw e;
        }
    }

    private static SSLContext trustingOnly(Path pem) throws IOException {
        try (InputStream in = Files.newInputStream(pem)) {
            Collection<? extends Certificate> certificates = CertificateFactory.getInstance("X.509")
                    .generateCertificates(in);
            if (certificates.isEmpty()) {
                throw new IOException("no certificate in " + pem);
            }
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int i = 0;
            for (Certificate certificate : certificates) {
                trust.setCertificateEntry("collector-ca-" + i++, certificate);
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, factory.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot use " + pem + " as the collector's trust anchor: " + e.getMessage(), e);
        }
    }
}
