package dev.portcullis.agent;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.portcullis.agent.api.Json;
import dev.portcullis.agent.outcome.AgentFailure;
import dev.portcullis.agent.outcome.ExitCode;
import dev.portcullis.agent.state.EnrollmentRecord;
import dev.portcullis.agent.state.SavedSession;
import dev.portcullis.agent.state.StateDirectory;
import dev.portcullis.agent.terminal.Output;
import dev.portcullis.agent.tunnel.KeeperProcess;
import dev.portcullis.agent.tunnel.LocalTunnel;
import dev.portcullis.protocol.wireguard.PeerState;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/**
 * {@code portcullis-agent status}: this device's enrollment and its tunnels, read from the state
 * directory and the local WireGuard interfaces only.
 */
@Command(name = "status", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        description = "Shows this device's enrollment (user, device, proxy, locations) and each tunnel it holds: "
                + "interface, up or down, time left, last handshake and traffic. Reads only the state directory and the "
                + "local interfaces; contacts no server.")
final class StatusCommand implements Callable<Integer> {

    @ParentCommand
    AgentMain agent;

    @Override
    public Integer call() {
        StateDirectory state = agent.stateDirectory();
        EnrollmentRecord record = state.loadEnrollment().orElseThrow(() -> AgentFailure.localState(
                "this device is not enrolled (nothing in " + state.path() + "); run: portcullis-agent enroll '<invite link>'"));
        Output output = agent.output();
        List<SavedSession> sessions = state.loadSessions();
        Instant now = agent.clock().instant();
        ArrayNode tunnels = Json.mapper().createArrayNode();
        Summary.show(record, state, output, output.json() ? tunnels : null, () -> {
            for (SavedSession saved : sessions) {
                tunnel(saved, state, now, output, tunnels);
            }
        });
        return ExitCode.OK.code();
    }

    private static void tunnel(SavedSession saved, StateDirectory state, Instant now, Output output, ArrayNode tunnels) {
        Optional<List<PeerState>> peers = LocalTunnel.read(saved.interfaceName(), saved.namespace());
        Instant notAfter = Times.parse(saved.session().notAfter()).orElse(Instant.EPOCH);
        boolean live = now.isBefore(notAfter);
        Optional<Long> keeper = KeeperProcess.find(state, saved.location()).map(ProcessHandle::pid);
        if (output.json()) {
            ObjectNode json = tunnels.addObject();
            json.put("location", saved.location());
            json.put("interface", saved.interfaceName());
            if (saved.namespace() != null) {
                json.put("namespace", saved.namespace());
            }
            json.put("up", peers.isPresent());
            json.put("session", saved.session().id());
            json.put("notAfter", saved.session().notAfter());
            json.put("secondsLeft", live ? java.time.Duration.between(now, notAfter).toSeconds() : 0);
            keeper.ifPresent(pid -> json.put("keeperPid", pid));
            ArrayNode list = json.putArray("peers");
            peers.orElse(List.of()).forEach(peer -> {
                ObjectNode p = list.addObject();
                p.put("publicKey", peer.publicKey().base64());
                p.put("lastHandshake", peer.lastHandshake().map(Instant::toString).orElse(null));
                p.put("endpoint", peer.endpoint().map(e -> e.getAddress().getHostAddress() + ":" + e.getPort()).orElse(null));
                p.put("rxBytes", peer.rxBytes());
                p.put("txBytes", peer.txBytes());
            });
            return;
        }
        output.say("Tunnel to " + saved.location() + ": interface " + saved.interfaceName()
                + (saved.namespace() == null ? "" : " (netns " + saved.namespace() + ")") + " "
                + (peers.isPresent() ? "up" : "DOWN") + ", "
                + (live ? Times.left(notAfter, now) + " left (until " + Times.clock(notAfter, now) + ")" : "session ended")
                + keeper.map(pid -> ", keeper pid " + pid).orElse(", no keeper"));
        for (PeerState peer : peers.orElse(List.of())) {
            output.say("  peer " + peer.publicKey().base64() + ": last handshake " + Times.ago(peer.lastHandshake(), now)
                    + ", received " + peer.rxBytes() + " B, sent " + peer.txBytes() + " B");
        }
    }
}
