package dev.portcullis.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.portcullis.agent.api.Json;
import dev.portcullis.agent.api.TunnelApi.Location;
import dev.portcullis.agent.api.TunnelApi.Locations;
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

/** {@code portcullis-agent locations}: where this device may open a tunnel, and which sessions are live. */
@Command(name = "locations", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        description = "Lists the locations this device may open a tunnel to: the second factors each accepts, session "
                + "lifetime and idle timeout, this device's address there and its live session, if any.")
final class LocationsCommand implements Callable<Integer> {

    @ParentCommand
    AgentMain agent;

    @Override
    public Integer call() {
        Output output = agent.output();
        Locations locations = TunnelClient.of(agent.stateDirectory(), agent.clock()).locations();
        if (output.json()) {
            try {
                output.result(Json.mapper().writeValueAsString(locations));
            } catch (JsonProcessingException e) {
                throw new AgentFailure(ExitCode.INTERNAL, "cannot encode the result", e);
            }
            return ExitCode.OK.code();
        }
        if (locations.locations().isEmpty()) {
            output.say("No locations for this device (ask your administrator for access to one).");
            return ExitCode.OK.code();
        }
        Instant now = agent.clock().instant();
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("LOCATION", "METHODS", "LIFETIME", "IDLE", "ADDRESS", "SESSION"));
        for (Location location : locations.locations()) {
            String session = location.session() == null ? "-"
                    : Times.parse(location.session().notAfter()).map(at -> "live, " + Times.left(at, now) + " left").orElse("live");
            rows.add(List.of(Output.safe(location.name()), Output.safe(String.join(",", location.methods()).toLowerCase()),
                    seconds(location.sessionLifetimeSeconds()), seconds(location.idleTimeoutSeconds()),
                    Output.safe(location.address()), session));
        }
        Table.print(rows, output);
        return ExitCode.OK.code();
    }

    private static String seconds(Long seconds) {
        if (seconds == null) {
            return "-";
        }
        return seconds % 3600 == 0 ? seconds / 3600 + "h" : seconds % 60 == 0 ? seconds / 60 + "m" : seconds + "s";
    }
}
