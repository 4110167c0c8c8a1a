package dev.portcullis.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.portcullis.agent.api.Json;
import dev.portcullis.agent.api.TunnelApi.Session;
import dev.portcullis.agent.api.TunnelApi.Sessions;
import dev.portcullis.agent.outcome.AgentFailure;
import dev.portcullis.agent.outcome.ExitCode;
import dev.portcullis.agent.terminal.Output;
import dev.portcullis.agent.tunnel.TunnelClient;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code portcullis-agent sessions}: the live tunnel sessions of this device's user, on all their devices. */
@Command(name = "sessions", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        description = "Lists the live tunnel sessions of your user on all your devices, newest first, as core sees them.")
final class SessionsCommand implements Callable<Integer> {

    @ParentCommand
    AgentMain agent;

    @Override
    public Integer call() {
        Output output = agent.output();
        Sessions sessions = TunnelClient.of(agent.stateDirectory(), agent.clock()).sessions();
        List<Session> withoutKeys = sessions.sessions().stream().map(Session::withoutKey).toList();
        if (output.json()) {
            try {
                output.result(Json.mapper().writeValueAsString(new Sessions(withoutKeys)));
            } catch (JsonProcessingException e) {
                throw new AgentFailure(ExitCode.INTERNAL, "cannot encode the result", e);
            }
            return ExitCode.OK.code();
        }
        if (withoutKeys.isEmpty()) {
            output.say("No live tunnel sessions.");
            return ExitCode.OK.code();
        }
        Instant now = agent.clock().instant();
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("LOCATION", "DEVICE", "METHOD", "STARTED", "LEFT", "LAST HANDSHAKE", "ENDPOINT", "ID"));
        for (Session session : withoutKeys) {
            rows.add(List.of(Output.safe(session.location()), Output.safe(session.device()),
                    Output.safe(session.method()).toLowerCase(),
                    Times.parse(session.startedAt()).map(at -> Times.clock(at, now)).orElse("-"),
                    Times.parse(session.notAfter()).map(at -> Times.left(at, now)).orElse("-"),
                    Times.ago(Times.parse(session.lastHandshake()), now),
                    session.endpoint() == null ? "-" : Output.safe(session.endpoint()), Output.safe(session.id())));
        }
        Table.print(rows, output);
        return ExitCode.OK.code();
    }
}
