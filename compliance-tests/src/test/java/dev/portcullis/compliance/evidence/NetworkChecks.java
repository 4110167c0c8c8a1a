package dev.portcullis.compliance.evidence;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

/**
 * The checks that look at a deployment from the network, as a client or an attacker in some zone
 * would: which ports of core answer from the internet (PC-07) and which TLS versions and suites
 * each listener agrees to (PC-04). Like {@link Checks}, each takes its targets as parameters and
 * says from which {@link Vantage} it probes, so the same code runs against the deployment and
 * against deliberately broken stand-ins, and each returns a {@link Check}: a failing control is a
 * FAIL with the raw observations (the exact command lines and what they printed), never an
 * exception.
 */
public final class NetworkChecks {

    private NetworkChecks() {
    }

    // ---- PC-07: core is unreachable from the internet zone ---------------------------------------------

    /** "-p-": every TCP or UDP port but 0. */
    static final int ALL_PORTS = 65_535;
    /**
     * nmap gives up on a host after this and says so; the check then fails as "incomplete". Measured
     * on this suite's namespaces: a full scan of a host that answers every port takes 1 to 2 s (TCP
     * and UDP); one that drops every packet about 65 s (TCP) and 26 s (UDP) at {@link #MIN_PROBES_PER_SECOND}.
     */
    static final Duration SCAN_HOST_TIMEOUT = Duration.ofMinutes(5);
    /** The process bound around nmap: its host timeout plus start-up and writing its report. */
    static final Duration SCAN_COMMAND_TIMEOUT = SCAN_HOST_TIMEOUT.plusMinutes(1);
    /**
     * Probes per second nmap keeps up at least. Left to itself nmap slows down to what it guesses a
     * target's ICMP rate limit is (a full UDP scan then takes the better part of a day) and to what
     * a dropping firewall lets through (a full TCP connect scan then outlasts {@link #SCAN_HOST_TIMEOUT}).
     */
    /** The TLS 1.2 suites the policy allows, as a FAIL reason names them. */
    static final String POLICY_SUITES = "(ECDHE or DHE with AES-GCM, AES-CCM or ChaCha20-Poly1305)";
    static final int MIN_PROBES_PER_SECOND = 5_000;
    /** nmap --version answers at once; this only keeps a broken install from hanging the suite. */
    static final Duration VERSION_TIMEOUT = Duration.ofSeconds(30);
    /** An nmap report of one host is a few kilobytes, or a few hundred with a long list of port ranges; more is cut. */
    static final int MAX_REPORT_BYTES = 8 << 20;
    /** A FAIL reason names at most this many ports (or ranges); the observations have the counts. */
    static final int MAX_PORTS_NAMED = 20;

    /** The port states nmap reports (nmap's own names). */
    static final String OPEN = "open";
    static final String OPEN_OR_FILTERED = "open|filtered";

    /**
     * PC-07: from a vantage in the internet zone, a full TCP connect scan and a full UDP scan of
     * core's address find no open port, and a scan of a reference port that is open to the
     * internet (the edge-proxy's public HTTPS) finds it open, so the scans demonstrably reach what
     * the internet may reach.
     *
     * <p>UDP cannot prove a port open or closed by a handshake: a closed port answers with ICMP port
     * unreachable, an open one answers only if the service does, and a silent port is reported as
     * "open|filtered". Such a port is not proven closed and fails this check. For closed ports to
     * answer at scan speed, core's network namespace must not rate-limit those ICMP answers:
     * {@code net.ipv4.icmp_ratelimit=0}, and (per namespace on current kernels) a
     * {@code net.ipv4.icmp_msgs_per_sec} and {@code net.ipv4.icmp_msgs_burst} above
     * {@link #MIN_PROBES_PER_SECOND}; otherwise most closed UDP ports show as "open|filtered".
     *
     * <p>TCP ports that are "filtered" (a firewall drops the probe) are not open and pass. A scan
     * that does not account for all {@value #ALL_PORTS} ports (nmap's host timeout, an error)
     * fails.
     *
     * @param internet         where the scans run from
     * @param coreAddress      core's address as the internet zone would have to reach it
     * @param referenceAddress an address the internet zone does reach (the edge-proxy's public one)
     * @param referencePort    a TCP port open there (the edge-proxy's public HTTPS)
     */
    public static Check coreUnreachableFromTheInternet(Vantage internet, String coreAddress, String referenceAddress,
                                                       int referencePort) {
        Check.Run run = Check.start("PC-07", "No port of core is reachable from the internet zone (full TCP and UDP scans)",
                Control.soc2("CC6.6"), Control.iso27001("A.8.20"), Control.nist("SC-7"), Control.nist("AC-17"));
        try {
            CommandResult version = ExternalCommand.run(VERSION_TIMEOUT, "nmap", "--version");
            run.observe(version.commandLine(), "exit " + version.exitCode() + "\n" + firstLine(version.output()));

            PortScan reference = scan(internet, "tcp", 1, referenceAddress,
                    "-sT", "-p", Integer.toString(referencePort), "--max-retries", "1");
            observe(run, internet, "positive control: a port the internet does reach", reference);
            if (!reference.complete() || reference.count(OPEN) != 1) {
                String seen = reference.complete() ? String.join(", ", reference.counts().keySet())
                        : "not reported (" + reference.incomplete() + ")";
                return run.fail("the scan does not show it reaches anything: the reference " + referenceAddress + ":"
                        + referencePort + "/tcp, open to the internet, is " + seen + " from the " + internet.name()
                        + ", not open; core was not scanned");
            }

            PortScan tcp = scan(internet, "tcp", ALL_PORTS, coreAddress, "-sT", "-p-", "--max-retries", "1", "-T4",
                    "--min-rate", Integer.toString(MIN_PROBES_PER_SECOND));
            observe(run, internet, "core, every TCP port (connect scan)", tcp);
            PortScan udp = scan(internet, "udp", ALL_PORTS, coreAddress, "-sU", "-p-", "--max-retries", "1",
                    "--min-rate", Integer.toString(MIN_PROBES_PER_SECOND));
            observe(run, internet, "core, every UDP port", udp);

            List<String> problems = new ArrayList<>();
            if (tcp.count(OPEN) > 0) {
                problems.add(tcp.count(OPEN) + " TCP port(s) of core " + coreAddress + " open from the " + internet.name()
                        + ": " + named(tcp.ports(OPEN), "tcp"));
            }
            if (!tcp.complete()) {
                problems.add("the TCP scan of core " + coreAddress + " is incomplete: " + tcp.incomplete());
            }
            if (udp.count(OPEN) > 0) {
                problems.add(udp.count(OPEN) + " UDP port(s) of core " + coreAddress + " open from the " + internet.name()
                        + ": " + named(udp.ports(OPEN), "udp"));
            }
            if (udp.count(OPEN_OR_FILTERED) > 0) {
                problems.add(udp.count(OPEN_OR_FILTERED) + " UDP port(s) of core " + coreAddress
                        + " gave no answer (open|filtered), so they are not proven closed: "
                        + named(udp.ports(OPEN_OR_FILTERED), "udp"));
            }
            if (!udp.complete()) {
                problems.add("the UDP scan of core " + coreAddress + " is incomplete: " + udp.incomplete());
            }
            if (!problems.isEmpty()) {
                return run.fail(String.join("; ", problems));
            }
            return run.pass("from the " + internet.name() + " the reference " + referenceAddress + ":" + referencePort
                    + "/tcp is open, and core " + coreAddress + " has no open port: " + tcp.summary() + "; "
                    + udp.summary());
        } catch (Exception e) {
            return run.error(e);
        }
    }

    /**
     * What one nmap run reported for its one target: how many ports are in each state, and which
     * ports (single ports or nmap's ranges, e.g. "2-8") in each. {@code incomplete} says why the
     * scan does not account for every port it was asked to (null: it does).
     */
    record PortScan(CommandResult command, String protocol, int expected, Map<String, Integer> counts,
                    Map<String, List<String>> portsByState, String incomplete) {

        PortScan {
            counts = Map.copyOf(counts);
            portsByState = Map.copyOf(portsByState);
        }

        boolean complete() {
            return incomplete == null;
        }

        int count(String state) {
            return counts.getOrDefault(state, 0);
        }

        List<String> ports(String state) {
            return portsByState.getOrDefault(state, List.of());
        }

        /** "65534 closed, 1 open (8081) of 65535 TCP port(s)": states by name; the open ones and small groups with their ports. */
        String summary() {
            if (counts.isEmpty()) {
                return "no port reported";
            }
            List<String> parts = new ArrayList<>();
            for (Map.Entry<String, Integer> state : new TreeMap<>(counts).entrySet()) {
                boolean listed = state.getKey().startsWith("open") || state.getValue() <= MAX_PORTS_NAMED;
                parts.add(state.getValue() + " " + state.getKey()
                        + (listed && !ports(state.getKey()).isEmpty() ? " (" + shortList(ports(state.getKey())) + ")" : ""));
            }
            return String.join(", ", parts) + " of " + expected + " " + protocol.toUpperCase() + " port(s)";
        }
    }

    /** Runs one nmap scan of {@code target} from {@code from}, its XML report written to a file of its own. */
    static PortScan scan(Vantage from, String protocol, int expected, String target, String... options) throws IOException {
        Path report = Files.createTempFile("evidence-nmap", ".xml");
        try {
            List<String> line = new ArrayList<>(List.of("nmap", "-n", "-Pn"));
            if (target.contains(":")) {
                line.add("-6");
            }
            line.addAll(List.of(options));
            line.addAll(List.of("--host-timeout", SCAN_HOST_TIMEOUT.toSeconds() + "s", "-oX", report.toString(), target));
            CommandResult result = ExternalCommand.run(SCAN_COMMAND_TIMEOUT, from.command(line));
            return read(result, protocol, expected, head(report, MAX_REPORT_BYTES));
        } finally {
            Files.deleteIfExists(report);
        }
    }

    /** Reads nmap's XML report (nmap 7's format: host, ports, extraports with extrareasons, port with state). */
    static PortScan read(CommandResult result, String protocol, int expected, String xml) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        Map<String, List<String>> ports = new LinkedHashMap<>();
        if (xml.isBlank()) {
            return new PortScan(result, protocol, expected, counts, ports, "nmap wrote no report (exit " + result.exitCode()
                    + ": " + lastLine(result.output()) + ")");
        }
        Document document;
        try {
            document = parser().parse(new InputSource(new StringReader(xml)));
        } catch (Exception e) {
            return new PortScan(result, protocol, expected, counts, ports, "nmap's report is not readable XML (" + e.getMessage()
                    + "; exit " + result.exitCode() + ")");
        }
        Element finished = first(document.getDocumentElement(), "finished");
        if (finished != null && "error".equals(finished.getAttribute("exit"))) {
            return new PortScan(result, protocol, expected, counts, ports, "nmap ended with an error: "
                    + finished.getAttribute("errormsg"));
        }
        NodeList hosts = document.getElementsByTagName("host");
        if (hosts.getLength() != 1) {
            return new PortScan(result, protocol, expected, counts, ports, "nmap reported " + hosts.getLength()
                    + " hosts, not the one scanned");
        }
        Element host = (Element) hosts.item(0);
        if ("true".equals(host.getAttribute("timedout"))) {
            return new PortScan(result, protocol, expected, counts, ports, "nmap gave up on the host after its host timeout of "
                    + SCAN_HOST_TIMEOUT.toSeconds() + " s");
        }
        NodeList extra = host.getElementsByTagName("extraports");
        for (int i = 0; i < extra.getLength(); i++) {
            Element group = (Element) extra.item(i);
            String state = group.getAttribute("state");
            counts.merge(state, Integer.parseInt(group.getAttribute("count")), Integer::sum);
            NodeList reasons = group.getElementsByTagName("extrareasons");
            for (int j = 0; j < reasons.getLength(); j++) {
                Element reason = (Element) reasons.item(j);
                if (reason.getAttribute("proto").isEmpty() || reason.getAttribute("proto").equals(protocol)) {
                    for (String range : reason.getAttribute("ports").split(",")) {
                        if (!range.isBlank()) {
                            ports.computeIfAbsent(state, s -> new ArrayList<>()).add(range.strip());
                        }
                    }
                }
            }
        }
        NodeList listed = host.getElementsByTagName("port");
        for (int i = 0; i < listed.getLength(); i++) {
            Element port = (Element) listed.item(i);
            if (!port.getAttribute("protocol").equals(protocol)) {
                continue;
            }
            Element state = first(port, "state");
            String name = state == null ? "unknown" : state.getAttribute("state");
            counts.merge(name, 1, Integer::sum);
            ports.computeIfAbsent(name, s -> new ArrayList<>()).add(port.getAttribute("portid"));
        }
        int total = counts.values().stream().mapToInt(Integer::intValue).sum();
        String incomplete = total == expected ? null
                : "nmap accounted for " + total + " of the " + expected + " " + protocol.toUpperCase() + " port(s) it was asked to scan";
        return new PortScan(result, protocol, expected, counts, ports, incomplete);
    }

    private static void observe(Check.Run run, Vantage from, String what, PortScan scan) {
        String normalOutput = scan.command().output().lines()
                .filter(l -> !l.isBlank() && !l.startsWith("MAC Address")).reduce((a, b) -> a + "\n" + b).orElse("(no output)");
        run.observe(scan.command().commandLine(), what + ", from the " + from.name() + "\nexit " + scan.command().exitCode()
                + "\n" + normalOutput + "\nports by state: "
                + (scan.complete() ? scan.summary() : "incomplete — " + scan.incomplete()));
    }

    private static DocumentBuilder parser() throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        // nmap's report declares <!DOCTYPE nmaprun> without a DTD; nothing external is ever loaded.
        factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
        factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
        factory.setExpandEntityReferences(false);
        factory.setXIncludeAware(false);
        return factory.newDocumentBuilder();
    }

    private static Element first(Element parent, String tag) {
        NodeList nodes = parent.getElementsByTagName(tag);
        return nodes.getLength() == 0 ? null : (Element) nodes.item(0);
    }

    /** "8081/tcp, 9090/tcp" (at most {@link #MAX_PORTS_NAMED}, then how many more). */
    private static String named(List<String> ports, String protocol) {
        return shortList(ports.stream().map(p -> p + "/" + protocol).toList());
    }

    private static String shortList(List<String> items) {
        if (items.size() <= MAX_PORTS_NAMED) {
            return String.join(", ", items);
        }
        return String.join(", ", items.subList(0, MAX_PORTS_NAMED)) + " and " + (items.size() - MAX_PORTS_NAMED) + " more";
    }

    // ---- PC-04: TLS on every listener -----------------------------------------------------------------

    /**
     * A TLS listener to probe: what the report calls it, where the probe runs from and what it
     * connects to. A DNS name as {@code host} is also sent as SNI; an address sends none.
     */
    public record TlsListener(String name, Vantage from, String host, int port) {

        String hostAndPort() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    /** A server that does not answer a ClientHello in this time is reported as such (the probe never hangs the suite). */
    static final Duration OPENSSL_TIMEOUT = Duration.ofSeconds(20);
    /** s_client's trace of one handshake is some tens of kilobytes (it prints the certificates); more is cut. */
    static final int MAX_TRACE_BYTES = 1 << 20;
    /**
     * Offered in every probe: gRPC listeners refuse a client that does not offer h2, and an HTTPS
     * listener without h2 picks http/1.1, so no listener refuses a probe for its ALPN.
     */
    static final String ALPN_OFFER = "h2,http/1.1";
    /** Every TLS 1.2 suite OpenSSL knows except the AEAD forward-secret ones; SECLEVEL=0 so the client itself refuses nothing. */
    static final String TLS12_WEAK_SUITES =
            "ALL:COMPLEMENTOFALL:!ECDHE+AESGCM:!DHE+AESGCM:!ECDHE+CHACHA20:!DHE+CHACHA20:!ECDHE+AESCCM:!DHE+AESCCM:@SECLEVEL=0";
    /** OpenSSL 3 refuses TLS 1.0/1.1 at its default security level; the probe must offer them for real. */
    static final String LEGACY_CLIENT_CIPHERS = "ALL:@SECLEVEL=0";
    /**
     * The TLS 1.2 suites allowed, by IANA name (as the trace prints them): ephemeral (EC)DH key
     * exchange (forward secrecy) with AES-GCM, AES-CCM or ChaCha20-Poly1305 (AEAD): of the suites a
     * server with a certificate can choose, exactly those {@link #TLS12_WEAK_SUITES} leaves out.
     */
    static final Pattern TLS12_AEAD_FORWARD_SECRET = Pattern.compile(
            "^TLS_(ECDHE_(ECDSA|RSA)|DHE_(RSA|DSS))_WITH_(AES_(128|256)_GCM_SHA(256|384)|AES_(128|256)_CCM(_8)?|CHACHA20_POLY1305_SHA256)$");

    static final String TLS10 = "TLS 1.0";
    static final String TLS11 = "TLS 1.1";
    static final String TLS12 = "TLS 1.2";
    static final String TLS13 = "TLS 1.3";

    /** s_client -trace, a received handshake message: "    ServerHello, Length=70". */
    private static final Pattern SERVER_HELLO = Pattern.compile("^\\s+ServerHello, Length=\\d+");
    /** "      server_version=0x303 (TLS 1.2)". */
    private static final Pattern SERVER_VERSION = Pattern.compile("server_version=0x[0-9A-Fa-f]+ \\(([^)]+)\\)");
    /** "      cipher_suite {0xC0, 0x30} TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384". */
    private static final Pattern CIPHER_SUITE = Pattern.compile("cipher_suite \\{(0x[0-9A-Fa-f]{2}), (0x[0-9A-Fa-f]{2})\\} (\\S+)");
    /** The version a supported_versions extension names: "            TLS 1.3 (772)". */
    private static final Pattern VERSION_ENTRY = Pattern.compile("^\\s+(TLS \\d\\.\\d) \\(\\d+\\)\\s*$");
    /** "    Level=fatal(2), description=handshake failure(40)". */
    private static final Pattern FATAL_ALERT = Pattern.compile("Level=fatal\\(2\\), description=(.+\\(\\d+\\))");

    /**
     * The server's answer to one ClientHello, read from s_client's trace: the version and suite of
     * its ServerHello, or no ServerHello (version null) and the alert it sent instead, if any.
     * {@code helloLines} are the trace lines behind the verdict, for the report.
     */
    record ServerAnswer(CommandResult command, String version, String suite, String alert, List<String> helloLines) {

        ServerAnswer {
            helloLines = List.copyOf(helloLines);
        }

        /** The server went on with the handshake at exactly this version (its ServerHello says so). */
        boolean accepted(String tlsVersion) {
            return tlsVersion.equals(version);
        }

        String verdict() {
            if (version != null) {
                return "ServerHello: " + version + ", " + suite + (alert == null ? "" : "; then alert " + alert);
            }
            if (alert != null) {
                return "no ServerHello: alert " + alert;
            }
            return "no ServerHello and no alert (" + clientError(command.output()) + ")";
        }
    }

    /**
     * PC-04: each listener refuses TLS 1.0 and 1.1; refuses TLS 1.2 offered only suites that are
     * not AEAD with forward secrecy; if it takes TLS 1.2 at all, picks an AEAD forward-secret suite
     * from a default offer; and takes TLS 1.3.
     *
     * <p>A listener is judged by its ServerHello, not by a completed handshake: the control
     * listeners require a client certificate (which the probe does not have), so their handshakes
     * never complete, but their ServerHello already says which version and suite they agreed to. A
     * server that refuses sends an alert (protocol_version, handshake_failure) before any ServerHello.
     * Every probe offers ALPN {@value #ALPN_OFFER}.
     */
    public static Check tlsPolicy(List<TlsListener> listeners) {
        Check.Run run = Check.start("PC-04", "TLS on every listener: only TLS 1.2 (AEAD, forward secret) and 1.3",
                Control.soc2("CC6.7"), Control.iso27001("A.8.24"), Control.nist("SC-8"), Control.nist("SC-13"));
        try {
            if (listeners.isEmpty()) {
                return run.fail("no listener to probe");
            }
            List<String> failures = new ArrayList<>();
            List<String> passes = new ArrayList<>();
            for (TlsListener listener : listeners) {
                List<String> problems = new ArrayList<>();
                ServerAnswer tls10 = observe(run, listener, "TLS 1.0 only, every suite",
                        probe(listener, "-tls1", "-cipher", LEGACY_CLIENT_CIPHERS));
                if (tls10.accepted(TLS10)) {
                    problems.add("TLS 1.0 accepted (" + tls10.suite() + ")");
                }
                ServerAnswer tls11 = observe(run, listener, "TLS 1.1 only, every suite",
                        probe(listener, "-tls1_1", "-cipher", LEGACY_CLIENT_CIPHERS));
                if (tls11.accepted(TLS11)) {
                    problems.add("TLS 1.1 accepted (" + tls11.suite() + ")");
                }
                ServerAnswer weak12 = observe(run, listener, "TLS 1.2 only, only suites that are not AEAD forward-secret",
                        probe(listener, "-tls1_2", "-cipher", TLS12_WEAK_SUITES));
                if (weak12.accepted(TLS12)) {
                    problems.add("TLS 1.2 accepted " + weak12.suite() + " from an offer of only suites outside the policy "
                            + POLICY_SUITES);
                }
                ServerAnswer default12 = observe(run, listener, "TLS 1.2 only, OpenSSL's default suites",
                        probe(listener, "-tls1_2"));
                if (default12.accepted(TLS12) && !TLS12_AEAD_FORWARD_SECRET.matcher(default12.suite()).matches()) {
                    problems.add("TLS 1.2 chose " + default12.suite() + " from a default offer, outside the policy " + POLICY_SUITES);
                }
                ServerAnswer tls13 = observe(run, listener, "TLS 1.3 only", probe(listener, "-tls1_3"));
                if (!tls13.accepted(TLS13)) {
                    problems.add("TLS 1.3 not accepted (" + tls13.verdict() + ")");
                }
                if (problems.isEmpty()) {
                    passes.add(listener.name() + ": TLS 1.0 and 1.1 refused, TLS 1.2 " + (default12.accepted(TLS12)
                            ? "only AEAD forward-secret (chose " + default12.suite() + ")" : "refused")
                            + ", TLS 1.3 accepted (" + tls13.suite() + ")");
                } else {
                    failures.add(listener.name() + " (" + listener.hostAndPort() + " from " + listener.from().name() + "): "
                            + String.join("; ", problems));
                }
            }
            if (!failures.isEmpty()) {
                return run.fail(failures.size() + " of " + listeners.size() + " listener(s) outside the policy — "
                        + String.join(" | ", failures));
            }
            return run.pass(String.join(" | ", passes));
        } catch (Exception e) {
            return run.error(e);
        }
    }

    /** One s_client probe from the listener's vantage, its -trace written to a file of its own (not mixed with its errors). */
    static ServerAnswer probe(TlsListener listener, String... options) throws IOException {
        Path trace = Files.createTempFile("evidence-tls", ".trace");
        try {
            List<String> line = new ArrayList<>(List.of("timeout", "--kill-after=5", Long.toString(OPENSSL_TIMEOUT.toSeconds()),
                    "openssl", "s_client", "-connect", listener.hostAndPort(), "-alpn", ALPN_OFFER,
                    "-trace", "-msgfile", trace.toString()));
            line.addAll(List.of(options));
            CommandResult result = ExternalCommand.run(OPENSSL_TIMEOUT.plusSeconds(15), listener.from().command(line));
            return answer(result, head(trace, MAX_TRACE_BYTES));
        } finally {
            Files.deleteIfExists(trace);
        }
    }

    /**
     * Reads the first ServerHello the server sent (its version: the supported_versions extension
     * if present, as TLS 1.3 puts 1.2 in the legacy field; its suite) and the first fatal alert.
     */
    static ServerAnswer answer(CommandResult command, String trace) {
        String version = null;
        String suite = null;
        String alert = null;
        List<String> lines = new ArrayList<>();
        boolean received = false;
        boolean inHello = false;
        boolean helloSeen = false;
        boolean inSupportedVersions = false;
        for (String line : trace.lines().toList()) {
            if (line.startsWith("Received Record") || line.startsWith("Sent Record")) {
                received = line.startsWith("Received");
                inHello = false;
                continue;
            }
            if (!received) {
                continue;
            }
            if (inHello && (line.isBlank() || indent(line) > 4)) {
                Matcher v = SERVER_VERSION.matcher(line);
                Matcher c = CIPHER_SUITE.matcher(line);
                Matcher entry = VERSION_ENTRY.matcher(line);
                if (v.find()) {
                    version = v.group(1);
                    lines.add(line.strip());
                } else if (c.find()) {
                    suite = c.group(3);
                    lines.add(line.strip());
                } else if (line.contains("extension_type=")) {
                    inSupportedVersions = line.contains("extension_type=supported_versions");
                    if (inSupportedVersions) {
                        lines.add(line.strip());
                    }
                } else if (inSupportedVersions && entry.find()) {
                    version = entry.group(1);
                    lines.add(line.strip());
                }
                continue;
            }
            inHello = false;
            if (!helloSeen && SERVER_HELLO.matcher(line).find()) {
                helloSeen = true;
                inHello = true;
                inSupportedVersions = false;
                lines.add(line.strip());
                continue;
            }
            Matcher a = FATAL_ALERT.matcher(line);
            if (alert == null && a.find()) {
                alert = a.group(1);
                lines.add(line.strip() + (helloSeen ? " (after the ServerHello)" : " (instead of a ServerHello)"));
            }
        }
        if (helloSeen && version == null) {
            version = "(unreadable)";
        }
        return new ServerAnswer(command, version, suite == null ? "(no suite)" : suite, alert, lines);
    }

    private static ServerAnswer observe(Check.Run run, TlsListener listener, String offer, ServerAnswer answer) {
        run.observe(answer.command().commandLine() + " </dev/null",
                listener.name() + " (" + listener.hostAndPort() + ", from " + listener.from().name() + "), offered " + offer
                        + "\nexit " + answer.command().exitCode() + "\nverdict: " + answer.verdict()
                        + (answer.helloLines().isEmpty() ? "" : "\ntrace:\n  " + String.join("\n  ", answer.helloLines())));
        return answer;
    }

    private static int indent(String line) {
        int i = 0;
        while (i < line.length() && line.charAt(i) == ' ') {
            i++;
        }
        return i;
    }

    /** s_client's own reason when the server sent nothing readable: its first error line. */
    private static String clientError(String output) {
        return output.lines().filter(l -> l.contains(":error:") || l.contains("errno") || l.contains("killed after"))
                .findFirst().map(String::strip).orElse("no error line from s_client");
    }

    // ---- shared -------------------------------------------------------------------------------------

    private static String head(Path file, int maxBytes) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return new String(in.readNBytes(maxBytes), StandardCharsets.UTF_8);
        }
    }

    private static String firstLine(String output) {
        return output.strip().lines().findFirst().orElse("(no output)");
    }

    private static String lastLine(String output) {
        List<String> lines = output.strip().lines().toList();
        return lines.isEmpty() ? "(no output)" : lines.get(lines.size() - 1);
    }
}
