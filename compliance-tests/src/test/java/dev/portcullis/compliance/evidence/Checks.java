package dev.portcullis.compliance.evidence;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The checks of the compliance suite. Each takes its target (a pid, a directory, a port, a file,
 * a way to call the system) as parameters, so the same code runs against the deployment and
 * against a deliberately broken stand-in, and each returns a {@link Check}: a failing control is a
 * FAIL with the observations that show why, never an exception.
 */
public final class Checks {

    /** The admin CLI starts a JVM; verify and export of a test deployment's log finish well inside this. */
    static final Duration CLI_TIMEOUT = Duration.ofMinutes(3);
    /** The edge's state is a few PEM files; anything larger than this is itself a finding worth reading in full. */
    static final int MAX_FILE_BYTES = 16 << 20;
    /** A state directory with more files than this is not "stateless"; the walk stops there and says so. */
    static final int MAX_FILES = 10_000;

    /** Generic signs of user data or of a database in the edge's state or command line. */
    static final Map<String, Pattern> USER_DATA_PATTERNS = Map.of(
            "an e-mail address", Pattern.compile("[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}"),
            "a TOTP provisioning URI", Pattern.compile("otpauth://", Pattern.CASE_INSENSITIVE),
            "a JDBC URL", Pattern.compile("jdbc:", Pattern.CASE_INSENSITIVE),
            "a PostgreSQL URL", Pattern.compile("postgres(ql)?://", Pattern.CASE_INSENSITIVE));

    private static final Pattern RECORD_SEQ = Pattern.compile("^\\{\"type\":\"record\",\"seq\":(\\d+),");
    private static final Pattern ACTION = Pattern.compile("\"action\":\"([^\"\\\\]*)\"");

    private final Listener.Table sockets;

    public Checks(Listener.Table sockets) {
        this.sockets = sockets;
    }

    // ---- (a) core listens only on its internal admin address -----------------------------------------

    /** PC-01: the process listens on (or has bound) exactly one socket, the internal admin address, and it is loopback. */
    public Check coreListensOnlyOnItsInternalAdminAddress(long pid, String internalAdminAddress) {
        Check.Run run = Check.start("PC-01", "Core has no listening socket but its internal admin address",
                Control.soc2("CC6.6"), Control.iso27001("A.8.20"), Control.nist("AC-17"));
        try {
            List<Listener> listeners = sockets.listening(pid);
            run.observe("listening TCP and bound UDP sockets of pid " + pid + " (/proc/" + pid + "/fd and /proc/" + pid
                    + "/net/{tcp,tcp6,udp,udp6})", listeners.isEmpty() ? "(none)"
                    : String.join("\n", listeners.stream().map(l -> l.protocol() + " " + l.hostAndPort()).toList()));
            List<String> others = new ArrayList<>();
            boolean internalSeen = false;
            for (Listener listener : listeners) {
                boolean internal = listener.hostAndPort().equals(internalAdminAddress)
                        && listener.address().isLoopbackAddress();
                internalSeen |= internal;
                if (!internal) {
                    others.add(listener.protocol() + " " + listener.hostAndPort()
                            + (listener.address().isLoopbackAddress() ? "" : " (not loopback)"));
                }
            }
            if (!others.isEmpty()) {
                return run.fail("pid " + pid + " listens on more than its internal admin address " + internalAdminAddress
                        + ": " + others);
            }
            if (!internalSeen) {
                return run.fail("pid " + pid + " does not listen on its internal admin address " + internalAdminAddress
                        + " (wrong process, or the admin address is not loopback)");
            }
            return run.pass("the only socket of pid " + pid + " is the internal admin address " + internalAdminAddress);
        } catch (Exception e) {
            return run.error(e);
        }
    }

    // ---- (b) the edge-proxy keeps no user data or secrets ----------------------------------------------

    /**
     * PC-02: no file under the edge's state directory and nothing on its command line holds a known
     * user value (given as label → value; only labels go into the report) or looks like user data
     * or a database URL.
     */
    public Check edgeHoldsNoUserDataOrSecrets(Path stateDirectory, long pid, Map<String, String> knownUserValues) {
        Check.Run run = Check.start("PC-02", "The edge-proxy's state directory and command line hold no user data or secrets",
                Control.soc2("CC6.1"), Control.iso27001("A.8.24"), Control.iso27001("A.5.15"), Control.nist("SC-12"));
        try {
            List<String> findings = new ArrayList<>();
            Map<String, String> inventory = new TreeMap<>();
            int files = 0;
            try (Stream<Path> walk = Files.walk(stateDirectory)) {
                for (Path file : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
                    if (++files > MAX_FILES) {
                        findings.add("more than " + MAX_FILES + " files in " + stateDirectory);
                        break;
                    }
                    byte[] content = head(file);
                    String name = stateDirectory.relativize(file).toString();
                    inventory.put(name, Files.size(file) + " bytes, sha256 " + EvidenceReport.sha256(content));
                    findings.addAll(scan(name, new String(content, StandardCharsets.ISO_8859_1), knownUserValues));
                }
            }
            run.observe("files under " + stateDirectory + " (walked, each read in full up to " + MAX_FILE_BYTES + " bytes)",
                    inventory.isEmpty() ? "(none)" : String.join("\n",
                            inventory.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue()).toList()));
            String commandLine = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"), StandardCharsets.ISO_8859_1)
                    .replace('\0', ' ').strip();
            if (commandLine.isEmpty()) {
                return run.fail("pid " + pid + " has no command line (not running?)");
            }
            List<String> commandLineFindings = scan("command line of pid " + pid, commandLine, knownUserValues);
            findings.addAll(commandLineFindings);
            run.observe("/proc/" + pid + "/cmdline", commandLineFindings.isEmpty() ? commandLine
                    : "(not shown: it holds " + commandLineFindings.size() + " finding(s))");
            run.observe("searched for", "known values: " + knownUserValues.keySet() + "\npatterns: "
                    + new TreeMap<>(USER_DATA_PATTERNS).keySet());
            if (!findings.isEmpty()) {
                run.observe("findings", String.join("\n", findings));
                return run.fail(findings.size() + " finding(s): " + findings.get(0));
            }
            return run.pass("none of " + knownUserValues.keySet() + " nor any e-mail address, TOTP URI or database URL in "
                    + inventory.size() + " state file(s) or the command line of pid " + pid);
        } catch (Exception e) {
            return run.error(e);
        }
    }

    private static byte[] head(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(MAX_FILE_BYTES);
        }
    }

    /** Findings in one text; a match is shown redacted (its first three characters), never in full. */
    static List<String> scan(String where, String text, Map<String, String> knownUserValues) {
        List<String> findings = new ArrayList<>();
        for (Map.Entry<String, String> known : new TreeMap<>(knownUserValues).entrySet()) {
            if (!known.getValue().isEmpty() && text.contains(known.getValue())) {
                findings.add(where + " contains the " + known.getKey());
            }
        }
        for (Map.Entry<String, Pattern> pattern : new TreeMap<>(USER_DATA_PATTERNS).entrySet()) {
            Matcher m = pattern.getValue().matcher(text);
            if (m.find()) {
                String match = m.group();
                findings.add(where + " contains " + pattern.getKey() + " (" + match.substring(0, Math.min(3, match.length()))
                        + "…)");
            }
        }
        return findings;
    }

    // ---- (c) invite links are single use ---------------------------------------------------------------

    /** Redeems an invite token the way a browser does (through the edge-proxy). */
    @FunctionalInterface
    public interface Redeemer {
        HttpAnswer redeem(String token) throws Exception;
    }

    /** PC-03: the same fresh invite redeemed twice: the first answer is 200, the second the neutral 404 body. */
    public Check inviteLinksAreSingleUse(Redeemer redeemer, String freshToken, String neutralInvalidBody) {
        Check.Run run = Check.start("PC-03", "Invite links are single use",
                Control.soc2("CC6.1"), Control.iso27001("A.5.15"), Control.nist("IA-5"));
        try {
            HttpAnswer first = redeemer.redeem(freshToken);
            run.observe("POST /api/v1/enroll/redeem (fresh invite, first use; token not shown)", first.status() + " "
                    + (first.status() == 200 ? "(enrollment session body not shown)" : first.body()));
            HttpAnswer second = redeemer.redeem(freshToken);
            run.observe("POST /api/v1/enroll/redeem (same invite, second use)", second.status() + " "
                    + (second.status() == 200 ? "(enrollment session body not shown)" : second.body()));
            return decideSingleUse(run, first, second, neutralInvalidBody);
        } catch (Exception e) {
            return run.error(e);
        }
    }

    static Check decideSingleUse(Check.Run run, HttpAnswer first, HttpAnswer second, String neutralInvalidBody) {
        if (first.status() != 200) {
            return run.fail("the first redemption of a fresh invite answered " + first.status() + ", not 200");
        }
        if (second.status() == 200) {
            return run.fail("the second redemption of the same invite was accepted (200): the link is reusable");
        }
        if (second.status() != 404 || !second.body().equals(neutralInvalidBody)) {
            return run.fail("the second redemption answered " + second.status() + " '" + second.body()
                    + "', not the neutral 404 " + neutralInvalidBody);
        }
        return run.pass("first use 200, second use the neutral 404");
    }

    // ---- (d) TLS on every listener: PC-04 is NetworkChecks.tlsPolicy (it probes from a Vantage) --------

    // ---- (f) mTLS on the components' control listeners -------------------------------------------------

    /** A client-certificate refusal: bad_certificate, unsupported, revoked, expired, unknown, unknown_ca, certificate_required. */
    private static final Pattern CERTIFICATE_ALERT = Pattern.compile("SSL alert number (42|43|44|45|46|48|116)\\b");
    /** A listener that does not refuse keeps the connection open; the probe gives up after this. */
    static final Duration MTLS_PROBE_SECONDS = Duration.ofSeconds(5);

    /**
     * PC-06: each control listener (a gateway's or an edge-proxy's gRPC port, which only core may
     * call) refuses a client with no certificate and a client with a certificate of another CA, with
     * a certificate alert from the server. The probe offers ALPN h2 like gRPC does, so a refusal for
     * any other reason (no common protocol, say) does not count as a pass.
     */
    public Check controlListenersRequireCoresCertificate(Map<String, Integer> listeners, Path rogueCertificate, Path rogueKey) {
        Map<String, String> addresses = new TreeMap<>();
        listeners.forEach((name, port) -> addresses.put(name, "127.0.0.1:" + port));
        return controlListenersRequireCoresCertificate(Vantage.host(), addresses, rogueCertificate, rogueKey);
    }

    /** The same, probing from {@code from} each listener at its {@code host:port} (listener name → address). */
    public Check controlListenersRequireCoresCertificate(Vantage from, Map<String, String> listeners, Path rogueCertificate,
                                                         Path rogueKey) {
        Check.Run run = Check.start("PC-06", "Control listeners refuse clients without core's certificate (mTLS)",
                Control.soc2("CC6.1"), Control.iso27001("A.8.5"), Control.nist("SC-8"));
        try {
            List<String> problems = new ArrayList<>();
            for (Map.Entry<String, String> listener : new TreeMap<>(listeners).entrySet()) {
                for (boolean rogue : new boolean[] {false, true}) {
                    List<String> probe = new ArrayList<>(List.of("timeout", "--kill-after=2", Long.toString(MTLS_PROBE_SECONDS.toSeconds()),
                            "openssl", "s_client", "-connect", listener.getValue(), "-alpn", "h2", "-ign_eof"));
                    if (rogue) {
                        probe.addAll(List.of("-cert", rogueCertificate.toString(), "-key", rogueKey.toString()));
                    }
                    List<String> line = from.command(probe);
                    CommandResult result = ExternalCommand.run(MTLS_PROBE_SECONDS.plusSeconds(10), line);
                    Matcher alert = CERTIFICATE_ALERT.matcher(result.output());
                    String client = rogue ? "a certificate of another CA" : "no client certificate";
                    String verdict = alert.find() ? "refused with " + alert.group() : "not refused";
                    run.observe(String.join(" ", line) + " </dev/null  (" + listener.getKey() + ", " + client + ", from "
                            + from.name() + ")", "exit " + result.exitCode() + "\nverdict: " + verdict);
                    if (!verdict.startsWith("refused")) {
                        problems.add(listener.getKey() + " accepted a client with " + client);
                    }
                }
            }
            if (listeners.isEmpty()) {
                problems.add("no control listener to probe");
            }
            return problems.isEmpty()
                    ? run.pass(listeners.size() + " control listener(s) refused both a client without a certificate and one with a rogue certificate")
                    : run.fail(String.join("; ", problems));
        } catch (Exception e) {
            return run.error(e);
        }
    }

    // ---- (g) every listening socket of the deployment is accounted for ---------------------------------

    /**
     * PC-12: every listening TCP socket and bound UDP socket of the deployment's processes (every
     * process of a zone: core, its PostgreSQL, the edge-proxy, the gateway, its wireguard-go) is one of:
     * loopback only; a TLS listener the TLS check probed ({@code tlsProbed}, as "host:port"); or the
     * WireGuard port ({@code wireGuardUdpPorts}). Anything else is a listener nobody checked, and fails.
     *
     * @param processes a zone's (or a component's) name → the pids of its processes
     */
    public Check everyListeningSocketIsAccountedFor(Map<String, List<Long>> processes, java.util.Set<String> tlsProbed,
                                                    java.util.Set<Integer> wireGuardUdpPorts) {
        Check.Run run = Check.start("PC-12", "Every listening socket of the deployment is loopback-only, a TLS listener PC-04 probed, or WireGuard",
                Control.soc2("CC6.6"), Control.iso27001("A.8.20"), Control.nist("CM-7"));
        try {
            List<String> unaccounted = new ArrayList<>();
            int count = 0;
            for (Map.Entry<String, List<Long>> component : new TreeMap<>(processes).entrySet()) {
                List<String> lines = new ArrayList<>();
                for (long pid : component.getValue()) {
                    for (Listener listener : sockets.listening(pid)) {
                        count++;
                        String socket = listener.protocol() + " " + listener.hostAndPort();
                        String verdict;
                        if (listener.address().isLoopbackAddress()) {
                            verdict = "loopback only";
                        } else if (listener.protocol().startsWith("tcp") && tlsProbed.contains(listener.hostAndPort())) {
                            verdict = "TLS listener, probed by PC-04";
                        } else if (listener.protocol().startsWith("udp") && wireGuardUdpPorts.contains(listener.port())) {
                            verdict = "WireGuard (answers only the keys of admitted peers: PC-08)";
                        } else {
                            verdict = "NOT ACCOUNTED FOR";
                            unaccounted.add(component.getKey() + " (pid " + pid + ") " + socket);
                        }
                        lines.add("pid " + pid + " (" + command(pid) + "): " + socket + " -> " + verdict);
                    }
                }
                run.observe("sockets of " + component.getKey() + " (pids " + component.getValue()
                        + "; /proc/PID/fd and /proc/PID/net/{tcp,tcp6,udp,udp6})", lines.isEmpty() ? "(none)" : String.join("\n", lines));
            }
            if (processes.isEmpty() || count == 0) {
                return run.fail("no socket found in " + processes.keySet() + ": wrong processes, or they are not running");
            }
            if (!unaccounted.isEmpty()) {
                return run.fail(unaccounted.size() + " socket(s) neither loopback, a probed TLS listener nor WireGuard: " + unaccounted);
            }
            return run.pass(count + " socket(s) of " + processes.keySet() + ": each loopback only, a TLS listener PC-04 probed, or WireGuard");
        } catch (Exception e) {
            return run.error(e);
        }
    }

    /** A process's command name ({@code /proc/PID/comm}), or "?" when it has gone. */
    private static String command(long pid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "comm"), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "?";
        }
    }

    // ---- (e) the audit chain verifies and an edited record is detected --------------------------------

    /** Runs {@code bin/portcullis-admin ARGS} (bounded by the caller). */
    @FunctionalInterface
    public interface AdminCli {
        CommandResult run(String... arguments) throws Exception;
    }

    /** Offline verification of one exported file: PASS when the CLI says it is intact (exit 0). */
    public Check exportedAuditLogVerifies(AdminCli cli, Path export, Path publicKey) {
        Check.Run run = Check.start("PC-05-file", "An exported audit log verifies offline",
                Control.soc2("CC7.2"), Control.iso27001("A.8.15"), Control.nist("AU-9"));
        try {
            CommandResult verify = cli.run("audit", "verify", "--file", export.toString(), "--public-key", publicKey.toString());
            run.observe(verify);
            if (verify.exitCode() == 0 && verify.output().contains("intact")) {
                return run.pass(export.getFileName() + " verifies: " + lastLine(verify.output()));
            }
            return run.fail(export.getFileName() + " does not verify (exit " + verify.exitCode() + "): "
                    + lastLine(verify.output()));
        } catch (Exception e) {
            return run.error(e);
        }
    }

    /**
     * PC-05: the live log verifies; an export of it verifies offline; the same export with one
     * record's action edited by hand fails offline verification at exactly that record's seq.
     */
    public Check auditChainIsTamperEvident(AdminCli cli, Path workDirectory) {
        Check.Run run = Check.start("PC-05", "The audit chain verifies and a hand-edited record is detected",
                Control.soc2("CC7.2"), Control.iso27001("A.8.15"), Control.nist("AU-9"));
        try {
            Files.createDirectories(workDirectory);
            CommandResult live = cli.run("audit", "verify");
            run.observe(live);
            if (live.exitCode() != 0 || !live.output().contains("intact")) {
                return run.fail("the live audit log does not verify (exit " + live.exitCode() + ")");
            }
            Path key = workDirectory.resolve("audit-public-key.pem");
            Path export = workDirectory.resolve("audit-export.jsonl");
            run.observe(cli.run("audit", "public-key", "--out", key.toString()));
            run.observe(cli.run("audit", "export", "--out", export.toString()));
            if (!Files.isRegularFile(export) || !Files.isRegularFile(key)) {
                return run.fail("the export or the public key was not written");
            }
            Check intact = exportedAuditLogVerifies(cli, export, key);
            run.observe("offline verification of the export as exported", intact.result() + ": " + intact.reason());
            if (!intact.passed()) {
                return run.fail("the unedited export does not verify offline: " + intact.reason());
            }
            Path edited = workDirectory.resolve("audit-export-edited.jsonl");
            Edit edit = editOneRecord(export, edited);
            if (edit == null) {
                return run.fail("the export holds no record to edit");
            }
            run.observe("hand edit of " + edited.getFileName(), "seq " + edit.seq() + ": \"action\":\"" + edit.before()
                    + "\" -> \"action\":\"" + edit.after() + "\"");
            CommandResult verify = cli.run("audit", "verify", "--file", edited.toString(), "--public-key", key.toString());
            run.observe(verify);
            if (verify.exitCode() == 0) {
                return run.fail("the hand-edited export (seq " + edit.seq() + ") verifies as intact: editing is not detected");
            }
            if (!verify.output().contains("BROKEN at seq " + edit.seq() + ":")) {
                return run.fail("the hand-edited export fails (exit " + verify.exitCode() + ") but does not name seq "
                        + edit.seq() + ": " + lastLine(verify.output()));
            }
            return run.pass("live log intact; export verifies offline; editing the action of seq " + edit.seq()
                    + " is reported as " + lastLine(verify.output()));
        } catch (Exception e) {
            return run.error(e);
        }
    }

    /** One record edited by hand: its seq and its action before and after. */
    record Edit(long seq, String before, String after) {
    }

    /** Copies an export, changing the action of the record in the middle of it; null when it has no record. */
    static Edit editOneRecord(Path export, Path edited) throws IOException {
        List<String> lines = Files.readAllLines(export, StandardCharsets.UTF_8);
        List<Integer> records = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (RECORD_SEQ.matcher(lines.get(i)).find() && ACTION.matcher(lines.get(i)).find()) {
                records.add(i);
            }
        }
        if (records.isEmpty()) {
            return null;
        }
        int index = records.get(records.size() / 2);
        String line = lines.get(index);
        Matcher seq = RECORD_SEQ.matcher(line);
        seq.find();
        Matcher action = ACTION.matcher(line);
        action.find();
        String before = action.group(1);
        String after = before + ".edited";
        lines.set(index, line.substring(0, action.start(1)) + after + line.substring(action.end(1)));
        Files.write(edited, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
        return new Edit(Long.parseLong(seq.group(1)), before, after);
    }

    private static String lastLine(String output) {
        List<String> lines = output.strip().lines().toList();
        return lines.isEmpty() ? "(no output)" : lines.get(lines.size() - 1);
    }
}
