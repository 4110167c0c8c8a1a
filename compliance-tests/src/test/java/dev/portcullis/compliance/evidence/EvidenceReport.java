package dev.portcullis.compliance.evidence;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What an auditor files: when the suite ran, against which versions, and every check with its
 * verdict and observations. {@link #write} puts {@value #JSON_FILE}, {@value #HTML_FILE} (one
 * self-contained page, every value HTML-escaped) and {@value #SHA256_FILE} in a directory.
 */
public record EvidenceReport(String title, String generatedAt, Map<String, String> versions, List<Check> checks) {

    public static final String JSON_FILE = "compliance-report.json";
    public static final String HTML_FILE = "compliance-report.html";
    /** The JSON's SHA-256 in sha256sum format; see the class comment of ComplianceSuiteTest on audit-log filing. */
    public static final String SHA256_FILE = JSON_FILE + ".sha256";
    private static final Duration VERSION_PROBE_TIMEOUT = Duration.ofSeconds(15);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public EvidenceReport {
        versions = Map.copyOf(new LinkedHashMap<>(versions));
        checks = List.copyOf(checks);
    }

    public static EvidenceReport of(String title, Map<String, String> versions, List<Check> checks) {
        return new EvidenceReport(title, Instant.now().toString(), new LinkedHashMap<>(versions), checks);
    }

    public boolean allPassed() {
        return !checks.isEmpty() && checks.stream().allMatch(Check::passed);
    }

    /**
     * The versions under test: the JVM, wireguard-go, the kernel, Portcullis, and the repository's
     * commit ("unavailable" with the reason when a probe fails; a probe never fails the report).
     */
    public static Map<String, String> versionsUnderTest(String portcullisVersion, Path repositoryRoot) {
        Map<String, String> versions = new LinkedHashMap<>();
        versions.put("java.version", System.getProperty("java.version"));
        versions.put("java.vendor", System.getProperty("java.vendor"));
        versions.put("portcullis", portcullisVersion);
        versions.put("wireguard-go", probe(ExternalCommand.run(VERSION_PROBE_TIMEOUT, "wireguard-go", "--version")));
        versions.put("kernel (uname -r)", probe(ExternalCommand.run(VERSION_PROBE_TIMEOUT, "uname", "-r")));
        versions.put("openssl", probe(ExternalCommand.run(VERSION_PROBE_TIMEOUT, "openssl", "version")));
        versions.put("git commit", probe(ExternalCommand.run(VERSION_PROBE_TIMEOUT,
                "git", "-C", repositoryRoot.toString(), "rev-parse", "HEAD")));
        return versions;
    }

    private static String probe(CommandResult result) {
        String first = result.output().lines().findFirst().orElse("").strip();
        return result.exitCode() == 0 ? first : "unavailable (" + result.commandLine() + ": exit " + result.exitCode()
                + (first.isEmpty() ? "" : ", " + first) + ")";
    }

    /** Writes the JSON, the HTML and the JSON's SHA-256 file into {@code dir}; returns the SHA-256 (hex) of the JSON. */
    public String write(Path dir) throws IOException {
        Files.createDirectories(dir);
        byte[] json = JSON.writeValueAsBytes(this);
        Files.write(dir.resolve(JSON_FILE), json);
        Files.writeString(dir.resolve(HTML_FILE), html(), StandardCharsets.UTF_8);
        String sha256 = sha256(Files.readAllBytes(dir.resolve(JSON_FILE)));
        Files.writeString(dir.resolve(SHA256_FILE), sha256 + "  " + JSON_FILE + "\n", StandardCharsets.US_ASCII);
        return sha256;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One page, inline CSS only, no scripts and no external assets. */
    String html() {
        StringBuilder out = new StringBuilder(16_384);
        out.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">")
                .append("<title>").append(escape(title)).append("</title><style>")
                .append("body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}")
                .append("td,th{border:1px solid #999;padding:.3em .6em;text-align:left;vertical-align:top}")
                .append(".PASS{color:#075e07;font-weight:bold}.FAIL{color:#a00;font-weight:bold}")
                .append("pre{background:#f4f4f4;padding:.5em;white-space:pre-wrap;word-break:break-all}")
                .append("</style></head><body>\n");
        out.append("<h1>").append(escape(title)).append("</h1>\n<p>Generated at ").append(escape(generatedAt))
                .append(". Overall: <span class=\"").append(allPassed() ? "PASS\">PASS" : "FAIL\">FAIL")
                .append("</span></p>\n<h2>Versions under test</h2>\n<table>");
        versions.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(v -> out.append("<tr><th>")
                .append(escape(v.getKey())).append("</th><td>").append(escape(v.getValue())).append("</td></tr>"));
        out.append("</table>\n<h2>Summary</h2>\n<table><tr><th>Check</th><th>Title</th><th>Controls</th><th>Result</th></tr>");
        for (Check check : checks) {
            out.append("<tr><td><a href=\"#").append(escape(check.id())).append("\">").append(escape(check.id()))
                    .append("</a></td><td>").append(escape(check.title())).append("</td><td>")
                    .append(escape(String.join(", ", check.controls().stream().map(Control::label).toList())))
                    .append("</td><td class=\"").append(check.result()).append("\">").append(check.result())
                    .append("</td></tr>");
        }
        out.append("</table>\n");
        for (Check check : checks) {
            out.append("<h2 id=\"").append(escape(check.id())).append("\">").append(escape(check.id())).append(": ")
                    .append(escape(check.title())).append("</h2>\n<p><span class=\"").append(check.result()).append("\">")
                    .append(check.result()).append("</span> ").append(escape(check.reason())).append("</p>\n<p>Controls: ")
                    .append(escape(String.join(", ", check.controls().stream().map(Control::label).toList())))
                    .append("<br>Started ").append(escape(check.startedAt())).append(", ended ")
                    .append(escape(check.endedAt())).append("</p>\n");
            for (Observation observation : check.observations()) {
                out.append("<h3>").append(escape(observation.what())).append("</h3>\n<pre>")
                        .append(escape(observation.output())).append("</pre>\n");
            }
        }
        return out.append("</body></html>\n").toString();
    }

    /** Escapes text for HTML element content and quoted attribute values. */
    static String escape(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
