package dev.portcullis.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.portcullis.agent.api.EnrollmentApi.Gateway;
import dev.portcullis.agent.api.EnrollmentApi.Location;
import dev.portcullis.agent.api.Json;
import dev.portcullis.agent.outcome.AgentFailure;
import dev.portcullis.agent.outcome.ExitCode;
import dev.portcullis.agent.state.EnrollmentRecord;
import dev.portcullis.agent.state.StateDirectory;
import dev.portcullis.agent.terminal.Output;
import java.util.List;

/** How {@code enroll} and {@code status} show an enrollment: lines for people, one JSON object for scripts. */
final class Summary {

    private Summary() {
    }

    static void show(EnrollmentRecord record, StateDirectory state, Output output) {
        show(record, state, output, null, () -> { });
    }

    /**
     * Shows the enrollment, then runs {@code more} (which adds lines, or entries to {@code tunnels}
     * in JSON mode); {@code tunnels}, if not null, becomes the JSON object's {@code tunnels}.
     */
    static void show(EnrollmentRecord record, StateDirectory state, Output output, ArrayNode tunnels, Runnable more) {
        if (output.json()) {
            ObjectNode json = Json.mapper().valueToTree(record);
            json.remove("format");
            json.put("stateDir", state.path().toString());
            more.run();
            if (tunnels != null) {
                json.set("tunnels", tunnels);
            }
            try {
                output.result(Json.mapper().writeValueAsString(json));
            } catch (JsonProcessingException e) {
                throw new AgentFailure(ExitCode.INTERNAL, "cannot encode the summary", e);
            }
            return;
        }
        output.say("User:     " + Output.safe(record.user().shownName())
                + (record.user().email() == null ? "" : " <" + Output.safe(record.user().email()) + ">")
                + (record.user().name() == null ? "" : " (" + Output.safe(record.user().name()) + ")"));
        output.say("Device:   " + Output.safe(record.device().name()) + " (id " + Output.safe(record.device().id()) + ")");
        output.say("WireGuard public key: " + record.wireguardPublicKey());
        output.say("Proxy:    " + record.origin() + " (pinned #ca=" + record.trustAnchorSha256() + ")");
        output.say("State:    " + state.path());
        if (record.locations().isEmpty()) {
            output.say("Locations: none yet (ask your administrator for access to a location)");
        } else {
            showLocations(record, output);
        }
        more.run();
    }

    private static void showLocations(EnrollmentRecord record, Output output) {
        output.say("Locations:");
        for (Location location : record.locations()) {
            output.say("  " + Output.safe(location.name()) + ": address " + Output.safe(location.address())
                    + ", routes " + joined(location.allowedIps()) + ", dns " + joined(location.dns())
                    + (location.mtu() == null ? "" : ", mtu " + location.mtu()));
            for (Gateway gateway : location.gateways() == null ? List.<Gateway>of() : location.gateways()) {
                output.say("    gateway " + Output.safe(gateway.endpoint()) + " (key " + Output.safe(gateway.publicKey()) + ")");
            }
        }
    }

    private static String joined(List<String> values) {
        return values == null || values.isEmpty() ? "-" : Output.safe(String.join(" ", values));
    }
}
