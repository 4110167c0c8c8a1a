package dev.portcullis.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.portcullis.agent.api.Json;
import dev.portcullis.agent.api.TunnelApi.Gateway;
import dev.portcullis.agent.api.TunnelApi.Session;
import dev.portcullis.agent.outcome.AgentFailure;
import dev.portcullis.agent.outcome.ExitCode;
import dev.portcullis.agent.state.SavedSession;
import dev.portcullis.agent.state.StateDirectory;
import dev.portcullis.agent.terminal.Output;
import dev.portcullis.agent.tunnel.LocalTunnel;
import dev.portcullis.pki.wireguard.WireGuardPrivateKey;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code portcullis-agent export <location>}: the live session as a standard wg-quick
 * configuration. The one command whose purpose is to print keys (this device's private key and
 * the session's preshared key): to stdout only, never to a log.
 */
@Command(name = "export", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        description = {"Prints the live session to a location as a standard wg-quick configuration (for wg-quick, "
                + "NetworkManager or another WireGuard client).",
            "It contains this device's WireGuard PRIVATE KEY and the session's preshared key: keep it to yourself. "
                    + "It stops working when the session ends."})
final class ExportCommand implements Callable<Integer> {

    /** Values copied into the file: nothing that could start a new line or section. */
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9.:/\\[\\]+=_-]{1,100}");

    @ParentCommand
    AgentMain agent;

    @Parameters(paramLabel = "LOCATION")
    String location;

    @Override
    public Integer call() {
        StateDirectory.checkLocation(location);
        StateDirectory state = agent.stateDirectory();
        Instant now = agent.clock().instant();
        SavedSession saved = state.loadSession(location)
                .filter(s -> Times.parse(s.session().notAfter()).map(now::isBefore).orElse(false))
                .orElseThrow(() -> new AgentFailure(ExitCode.NO_SESSION, "no live session to " + location
                        + " on this device; start one with: portcullis-agent up " + location));
        String config = configuration(saved.session(), state.loadWireGuardKey());
        Output output = agent.output();
        if (output.json()) {
            ObjectNode json = Json.mapper().createObjectNode();
            json.put("location", location);
            json.put("notAfter", saved.session().notAfter());
            json.put("config", config);
            try {
                output.result(Json.mapper().writeValueAsString(json));
            } catch (JsonProcessingException e) {
                throw new AgentFailure(ExitCode.INTERNAL, "cannot encode the result", e);
            }
        } else {
            agent.outStream().print(config);
            agent.outStream().flush();
        }
        return ExitCode.OK.code();
    }

    static String configuration(Session session, WireGuardPrivateKey key) {
        StringBuilder text = new StringBuilder();
        text.append("# Portcullis tunnel session ").append(plain(session.id())).append(" to ").append(plain(session.location()))
                .append(", valid until ").append(plain(session.notAfter())).append('\n');
        text.append("[Interface]\n");
        byte[] raw = key.bytes();
        try {
            text.append("PrivateKey = ").append(Base64.getEncoder().encodeToString(raw)).append('\n');
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
        text.append("Address = ").append(plain(session.address())).append('\n');
        if (!session.dns().isEmpty()) {
            text.append("DNS = ").append(String.join(", ", session.dns().stream().map(ExportCommand::plain).toList())).append('\n');
        }
        text.append("MTU = ").append(session.mtu() == null ? LocalTunnel.DEFAULT_MTU : session.mtu()).append('\n');
        List<Gateway> gateways = session.gateways();
        for (int i = 0; i < gateways.size(); i++) {
            Gateway gateway = gateways.get(i);
            text.append('\n').append("# gateway ").append(plain(gateway.name())).append('\n');
            text.append("[Peer]\n");
            text.append("PublicKey = ").append(plain(gateway.publicKey())).append('\n');
            text.append("PresharedKey = ").append(plain(session.presharedKey())).append('\n');
            text.append("Endpoint = ").append(plain(gateway.endpoint())).append('\n');
            // WireGuard routes each prefix to one peer: the first gateway carries them (as the agent does).
            if (i == 0 && !session.allowedIps().isEmpty()) {
                text.append("AllowedIPs = ").append(String.join(", ", session.allowedIps().stream().map(ExportCommand::plain).toList()))
                        .append('\n');
            }
            text.append("PersistentKeepalive = ").append(LocalTunnel.KEEPALIVE_SECONDS).append('\n');
        }
        return text.toString();
    }

    private static String plain(String value) {
        if (value == null || !PLAIN.matcher(value).matches()) {
            throw new AgentFailure(ExitCode.LOCAL_STATE, "the saved session holds a value that cannot go into a configuration file");
        }
        return value;
    }
}
