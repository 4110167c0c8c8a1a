package dev.portcullis.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.portcullis.agent.api.Json;
import dev.portcullis.agent.api.TunnelApi.Location;
import dev.portcullis.agent.api.TunnelApi.Session;
import dev.portcullis.agent.api.TunnelApi.Started;
import dev.portcullis.agent.enroll.ServerRefusal;
import dev.portcullis.agent.outcome.AgentFailure;
import dev.portcullis.agent.outcome.ExitCode;
import dev.portcullis.agent.state.SavedSession;
import dev.portcullis.agent.state.StateDirectory;
import dev.portcullis.agent.terminal.Output;
import dev.portcullis.agent.tunnel.KeeperProcess;
import dev.portcullis.agent.tunnel.LocalTunnel;
import dev.portcullis.agent.tunnel.TunnelClient;
import dev.portcullis.agent.tunnel.TunnelClient.Done;
import dev.portcullis.agent.tunnel.TunnelClient.Finish;
import dev.portcullis.agent.tunnel.TunnelClient.WrongCode;
import dev.portcullis.pki.wireguard.WireGuardPrivateKey;
import dev.portcullis.protocol.wireguard.WireGuardInterfaces;
import dev.portcullis.protocol.wireguard.WireGuardInterfaces.Implementation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code portcullis-agent up <location>}: MFA for a tunnel session, then the local WireGuard interface and the keeper. */
@Command(name = "up", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        description = {
            "Starts a tunnel session to a location: you pass the second factor (an authenticator-app code, or a security "
                    + "key in the browser), core admits this device on every gateway of the location, and the agent sets up "
                    + "the local WireGuard interface (pc-<location>) with the session's key.",
            "Running it again while the session is live re-authenticates: the same interface gets the new key in place.",
            "A background keeper (portcullis-agent keep) takes the tunnel down when the session ends.",
            "Needs root (or CAP_NET_ADMIN) for the interface, and wireguard-go or the kernel module."})
final class UpCommand implements Callable<Integer> {

    /** Prompts for a TOTP code before giving up; core's own limits apply on top (SESSION-API.md). */
    static final int MAX_CODE_PROMPTS = 3;
    /** How often finish is polled while the browser does WebAuthn (SESSION-API.md: every second). */
    static final Duration WEBAUTHN_POLL = Duration.ofSeconds(1);
    /** Longest wait for the browser when core names no expiry: an attempt lives 5 minutes. */
    static final Duration WEBAUTHN_MAX_WAIT = Duration.ofMinutes(5);

    @ParentCommand
    AgentMain agent;

    @Parameters(paramLabel = "LOCATION", description = "The location to connect to (see: portcullis-agent locations).")
    String location;

    @Option(names = "--method", paramLabel = "totp|webauthn",
            description = "Second factor: totp (a code from your authenticator app) or webauthn (a security key, in the "
                    + "browser). Default: the first the location allows.")
    String method;

    @Option(names = "--code-file", paramLabel = "FILE", description = "Read the TOTP code from the first line of FILE (one attempt).")
    Path codeFile;

    @Option(names = "--code", paramLabel = "-", description = "'-': read the TOTP code from stdin (one attempt), for scripts.")
    String code;

    @Option(names = "--interface", paramLabel = "NAME", description = "Local WireGuard interface name (default pc-<location>, at most 15 characters).")
    String interfaceName;

    @Option(names = "--wireguard", paramLabel = "auto|userspace|kernel", defaultValue = "auto",
            description = "WireGuard implementation for a new interface: the kernel module when available else "
                    + "wireguard-go (auto, the default), or one of them.")
    String implementation;

    @Option(names = "--netns", paramLabel = "NAMESPACE",
            description = "Put the interface in this network namespace (ip netns) instead of this one.")
    String namespace;

    @Option(names = "--no-keeper", description = "Do not start the background keeper; take the tunnel down yourself (portcullis-agent down).")
    boolean noKeeper;

    @Option(names = "--keeper-poll-seconds", hidden = true, description = "How often the keeper asks core (tests).")
    Long keeperPollSeconds;

    @Override
    public Integer call() {
        Output output = agent.output();
        StateDirectory.checkLocation(location);
        String chosenMethod = method == null ? null : checkedMethod(method);
        if (codeFile != null && code != null) {
            throw AgentFailure.usage("use --code-file or --code -, not both");
        }
        if (code != null && !"-".equals(code)) {
            throw AgentFailure.usage("--code takes only '-' (read the code from stdin): a code on the command line is visible "
                    + "to every user of this machine");
        }
        Implementation wanted = implementation();
        StateDirectory state = agent.stateDirectory();
        TunnelClient client = TunnelClient.of(state, agent.clock());
        WireGuardPrivateKey deviceKey = state.loadWireGuardKey();
        Optional<SavedSession> previous = state.loadSession(location);
        String iface = interfaceName != null ? interfaceName
                : previous.map(SavedSession::interfaceName).orElse(LocalTunnel.interfaceFor(location));
        try {
            WireGuardInterfaces.checkName(iface);
        } catch (IllegalArgumentException e) {
            throw AgentFailure.usage(e.getMessage());
        }
        String netns = namespace != null ? namespace : previous.map(SavedSession::namespace).orElse(null);
        if (netns != null && !netns.matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")) {
            throw AgentFailure.usage("not a network namespace name: " + Output.safe(netns));
        }

        Location offered = output.step("Looking up " + location + " at " + client.origin(), () -> client.locations())
                .locations().stream().filter(l -> location.equals(l.name())).findFirst()
                .orElseThrow(() -> new ServerRefusal(404, "No location '" + location + "' for this device. "
                        + "See: portcullis-agent locations"));
        if (chosenMethod == null) {
            chosenMethod = offered.methods().isEmpty() ? "totp" : offered.methods().get(0).toLowerCase(Locale.ROOT);
        }
        if ((codeFile != null || code != null) && !"totp".equals(chosenMethod)) {
            throw AgentFailure.usage("--code-file and --code are for TOTP; " + location + " uses " + chosenMethod);
        }
        String startMethod = chosenMethod;
        Started started = output.step("Starting sign-in (" + startMethod + ") for " + location,
                () -> client.start(location, startMethod));
        Session session = "webauthn".equals(startMethod) ? webauthn(client, started, output) : totp(client, started, output);

        SavedSession saved = new SavedSession(SavedSession.FORMAT, location, iface, netns, session, agent.clock().instant().toString());
        LocalTunnel.Applied applied;
        try {
            state.saveSession(saved);
            applied = output.step("Configuring WireGuard interface " + iface, () -> LocalTunnel.apply(iface, netns, wanted, deviceKey, session));
        } catch (AgentFailure failure) {
            undo(client, state, saved, previous.isEmpty(), output);
            throw failure;
        }

        Long keeperPid = null;
        boolean keeperFollows = false;
        if (!noKeeper) {
            Optional<ProcessHandle> running = KeeperProcess.find(state, location);
            if (running.isPresent()) {
                keeperPid = running.get().pid();
                keeperFollows = true;
            } else {
                keeperPid = KeeperProcess.start(state, location, keeperPollSeconds);
            }
        }
        report(output, saved, applied, keeperPid, keeperFollows, state);
        return ExitCode.OK.code();
    }

    private Implementation implementation() {
        return switch (implementation.toLowerCase(Locale.ROOT)) {
            case "auto" -> Implementation.AUTO;
            case "userspace" -> Implementation.USERSPACE;
            case "kernel" -> Implementation.KERNEL;
            default -> throw AgentFailure.usage("--wireguard is auto, userspace or kernel");
        };
    }

    private static String checkedMethod(String text) {
        String lower = text.toLowerCase(Locale.ROOT);
        if (!lower.equals("totp") && !lower.equals("webauthn")) {
            throw AgentFailure.usage("--method is totp or webauthn");
        }
        return lower;
    }

    // --- TOTP ---

    private Session totp(TunnelClient client, Started started, Output output) {
        boolean interactive = codeFile == null && code == null;
        int prompts = interactive ? MAX_CODE_PROMPTS : 1;
        for (int prompt = 1; ; prompt++) {
            String entered = readCode(interactive);
            Finish finish = output.step("Checking the code (core admits this device on the location's gateways)",
                    () -> client.finish(started.attempt(), entered));
            if (finish instanceof Done done) {
                return done.session();
            }
            if (finish instanceof WrongCode wrong) {
                String left = wrong.attemptsLeft() == 1 ? "1 attempt left" : wrong.attemptsLeft() + " attempts left";
                if (wrong.attemptsLeft() == 0 || prompt >= prompts) {
                    String message = wrong.message().endsWith(".") ? wrong.message().substring(0, wrong.message().length() - 1)
                            : wrong.message();
                    throw new AgentFailure(ExitCode.SERVER_REFUSED, message + " (" + left + "; run portcullis-agent up "
                            + location + " again)");
                }
                output.say(wrong.message() + " " + capitalized(left) + ".");
                continue;
            }
            throw new AgentFailure(ExitCode.SERVER_REFUSED, "the server did not answer the code with a session");
        }
    }

    private String readCode(boolean interactive) {
        if (codeFile != null) {
            String line;
            try {
                if (Files.size(codeFile) > 1024) {
                    throw AgentFailure.usage("--code-file " + codeFile + " is not a code file");
                }
                List<String> lines = Files.readAllLines(codeFile, StandardCharsets.UTF_8);
                line = lines.isEmpty() ? "" : lines.get(0).strip();
            } catch (IOException e) {
                throw AgentFailure.usage("cannot read --code-file " + codeFile);
            }
            return checkedCode(line);
        }
        for (int tries = 0; ; tries++) {
            char[] read = agent.terminal().readSecret("TOTP code for " + location + ": ");
            String entered = new String(read).strip().replace(" ", "");
            java.util.Arrays.fill(read, '\0');
            if (entered.matches("[0-9]{6,8}") || !interactive || tries >= MAX_CODE_PROMPTS) {
                return checkedCode(entered);
            }
            agent.output().say("A code is the 6 digits your authenticator app shows for Portcullis.");
        }
    }

    private static String checkedCode(String text) {
        if (!text.matches("[0-9]{6,8}")) {
            throw AgentFailure.usage("a TOTP code is 6 digits");
        }
        return text;
    }

    private static String capitalized(String text) {
        return Character.toUpperCase(text.charAt(0)) + text.substring(1);
    }

    // --- WebAuthn ---

    private Session webauthn(TunnelClient client, Started started, Output output) {
        String url = started.browserUrl();
        if (url == null || !url.startsWith(client.origin().toString() + "/mfa/")) {
            throw new AgentFailure(ExitCode.SERVER_REFUSED, "the server sent no sign-in link on " + client.origin());
        }
        output.say("Confirm with your security key in the browser: " + Output.safe(url));
        openBrowser(url);
        Instant now = agent.clock().instant();
        Instant deadline = Times.parse(started.expiresAt()).filter(at -> at.isBefore(now.plus(WEBAUTHN_MAX_WAIT).plusSeconds(1)))
                .orElse(now.plus(WEBAUTHN_MAX_WAIT));
        output.progress("Waiting for the browser");
        while (true) {
            Finish finish;
            try {
                finish = client.finish(started.attempt(), null);
            } catch (AgentFailure failure) {
                output.progressEnd("failed");
                throw failure;
            }
            if (finish instanceof Done done) {
                output.progressEnd("done");
                return done.session();
            }
            if (!(finish instanceof TunnelClient.Waiting)) {
                output.progressEnd("failed");
                throw new AgentFailure(ExitCode.SERVER_REFUSED, "the server did not answer with a session");
            }
            if (!agent.clock().instant().plus(WEBAUTHN_POLL).isBefore(deadline)) {
                output.progressEnd("timed out");
                throw new AgentFailure(ExitCode.SERVER_REFUSED, "This sign-in attempt has ended. Start again.");
            }
            output.progressTick();
            try {
                Thread.sleep(WEBAUTHN_POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AgentFailure(ExitCode.SERVER_REFUSED, "interrupted while waiting for the browser");
            }
        }
    }

    private void openBrowser(String url) {
        String display = agent.environment().get("DISPLAY");
        String wayland = agent.environment().get("WAYLAND_DISPLAY");
        if ((display == null || display.isBlank()) && (wayland == null || wayland.isBlank())) {
            return;
        }
        Path opener = Path.of("/usr/bin/xdg-open");
        if (!Files.isExecutable(opener)) {
            return;
        }
        try {
            new ProcessBuilder(opener.toString(), url).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            // The link is printed above; the user can open it.
        }
    }

    // --- after admission ---

    private static void undo(TunnelClient client, StateDirectory state, SavedSession saved, boolean created, Output output) {
        try {
            client.end(saved.session().id());
        } catch (AgentFailure failure) {
            output.say("Could not end the session at core (" + failure.getMessage() + "); the gateways remove it at its end.");
        }
        if (created) {
            try {
                LocalTunnel.remove(saved.interfaceName(), saved.namespace());
            } catch (AgentFailure failure) {
                // The first failure is the one to report.
            }
        }
        state.deleteSession(saved.location());
    }

    private void report(Output output, SavedSession saved, LocalTunnel.Applied applied, Long keeperPid, boolean keeperFollows,
                        StateDirectory state) {
        Session session = saved.session();
        Instant now = agent.clock().instant();
        Instant notAfter = Times.parse(session.notAfter()).orElse(now);
        if (output.json()) {
            ObjectNode json = Json.mapper().createObjectNode();
            json.put("location", location);
            json.put("interface", saved.interfaceName());
            if (saved.namespace() != null) {
                json.put("namespace", saved.namespace());
            }
            json.put("reauthenticated", applied == LocalTunnel.Applied.UPDATED_IN_PLACE);
            json.set("session", Json.mapper().valueToTree(session.withoutKey()));
            if (keeperPid != null) {
                json.put("keeperPid", keeperPid);
                json.put("keeperLog", state.keeperLogFile(location).toString());
            }
            try {
                output.result(Json.mapper().writeValueAsString(json));
            } catch (JsonProcessingException e) {
                throw new AgentFailure(ExitCode.INTERNAL, "cannot encode the result", e);
            }
            return;
        }
        if (applied == LocalTunnel.Applied.UPDATED_IN_PLACE) {
            output.say("Re-authenticated: interface " + saved.interfaceName() + " has the new session key (the tunnel was not interrupted).");
        }
        output.say("Tunnel to " + location + " is up until " + Times.clock(notAfter, now) + " (" + Times.left(notAfter, now) + " left).");
        output.say("Interface " + saved.interfaceName() + ": address " + Output.safe(session.address()) + ", routes "
                + (session.allowedIps().isEmpty() ? "-" : Output.safe(String.join(" ", session.allowedIps()))));
        if (LocalTunnel.wantsDefaultRoute(session)) {
            output.say("The location routes all traffic (a default route); the agent does not replace this device's default "
                    + "route. Use portcullis-agent export with wg-quick for a full tunnel.");
        }
        if (!session.dns().isEmpty()) {
            output.say("DNS for this location: " + Output.safe(String.join(" ", session.dns()))
                    + " (not configured by the agent; add it to your resolver if you need names from the location).");
        }
        if (keeperPid == null) {
            output.say("No keeper: take the tunnel down yourself with: portcullis-agent down " + location);
        } else if (keeperFollows) {
            output.say("The keeper (pid " + keeperPid + ") follows the new session.");
        } else {
            output.say("The keeper (pid " + keeperPid + ", log " + state.keeperLogFile(location) + ") takes it down at the end.");
        }
    }
}
