package dev.portcullis.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.portcullis.agent.api.Json;
import dev.portcullis.agent.outcome.AgentFailure;
import dev.portcullis.agent.outcome.ExitCode;
import dev.portcullis.agent.state.SavedSession;
import dev.portcullis.agent.state.StateDirectory;
import dev.portcullis.agent.terminal.Output;
import dev.portcullis.agent.tunnel.KeeperProcess;
import dev.portcullis.agent.tunnel.LocalTunnel;
import dev.portcullis.agent.tunnel.TunnelClient;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code portcullis-agent down [<location>]}: ends the session at core, stops the keeper, removes the interface. */
@Command(name = "down", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        description = {"Takes a tunnel down: ends the session at core (best effort; the gateways end it at its end time "
                + "anyway), stops the keeper, removes the local WireGuard interface and forgets the session.",
            "Without a location: the one tunnel that is up."})
final class DownCommand implements Callable<Integer> {

    @ParentCommand
    AgentMain agent;

    @Parameters(arity = "0..1", paramLabel = "LOCATION", description = "The location whose tunnel to take down.")
    String location;

    @Override
    public Integer call() {
        Output output = agent.output();
        StateDirectory state = agent.stateDirectory();
        SavedSession saved = chosen(state);
        String name = saved.location();
        boolean keeper = output.step("Stopping the keeper", () -> KeeperProcess.stop(state, name));
        boolean endedAtCore = false;
        String coreProblem = null;
        try {
            TunnelClient client = TunnelClient.of(state, agent.clock());
            endedAtCore = output.step("Ending the session at core", () -> client.end(saved.session().id()));
        } catch (AgentFailure failure) {
            coreProblem = failure.getMessage();
        }
        output.step("Removing interface " + saved.interfaceName(), () -> LocalTunnel.remove(saved.interfaceName(), saved.namespace()));
        state.deleteSession(name);
        if (output.json()) {
            ObjectNode json = Json.mapper().createObjectNode();
            json.put("location", name);
            json.put("interface", saved.interfaceName());
            json.put("keeperStopped", keeper);
            json.put("endedAtCore", endedAtCore);
            if (coreProblem != null) {
                json.put("coreError", coreProblem);
            }
            try {
                output.result(Json.mapper().writeValueAsString(json));
            } catch (JsonProcessingException e) {
                throw new AgentFailure(ExitCode.INTERNAL, "cannot encode the result", e);
            }
            return ExitCode.OK.code();
        }
        if (coreProblem != null) {
            output.say("Could not end the session at core: " + coreProblem + ". The gateways remove this device at the "
                    + "session's end (" + saved.session().notAfter() + ") by themselves.");
        } else if (!endedAtCore) {
            output.say("Core had no live session " + saved.session().id() + " any more.");
        }
        output.say("Tunnel to " + name + " is down.");
        return ExitCode.OK.code();
    }

    private SavedSession chosen(StateDirectory state) {
        if (location != null) {
            StateDirectory.checkLocation(location);
            return state.loadSession(location).orElseThrow(() -> new AgentFailure(ExitCode.NO_SESSION,
                    "no tunnel to " + location + " is up on this device"));
        }
        List<SavedSession> all = state.loadSessions();
        if (all.isEmpty()) {
            throw new AgentFailure(ExitCode.NO_SESSION, "no tunnel is up on this device");
        }
        if (all.size() > 1) {
            throw AgentFailure.usage("several tunnels are up (" + String.join(", ", all.stream().map(SavedSession::location).toList())
                    + "); name one: portcullis-agent down <location>");
        }
        return all.get(0);
    }
}
