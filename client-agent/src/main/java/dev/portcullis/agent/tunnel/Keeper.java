package dev.portcullis.agent.tunnel;

import dev.portcullis.agent.api.TunnelApi.Location;
import dev.portcullis.agent.api.TunnelApi.Locations;
import dev.portcullis.agent.api.TunnelApi.Session;
import dev.portcullis.agent.enroll.ServerRefusal;
import dev.portcullis.agent.outcome.AgentFailure;
import dev.portcullis.agent.state.SavedSession;
import dev.portcullis.agent.state.StateDirectory;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * Keeps one location's tunnel honest, in its own background process ({@code portcullis-agent keep}):
 * <ul>
 *   <li>at the session's {@code notAfter} it removes the interface and the saved session, whether
 *       or not the proxy answers (the gateway evicts the peer by itself at the same time);</li>
 *   <li>every {@link #POLL_INTERVAL} it asks core for the location's live session and tears down at
 *       once when core says it is gone (revoked, idle, this device no longer recognised), adopting a
 *       new session id when {@code up} re-authenticated;</li>
 *   <li>a proxy it cannot reach, a 5xx, a timeout or any other answer it cannot read is transient:
 *       it keeps the tunnel and retries with exponential backoff (never beyond notAfter).</li>
 * </ul>
 * Logs one line per event to {@code log}; never a key.
 */
public final class Keeper {

    /** How often core is asked: a revoked session is gone from the device within this time. */
    public static final Duration POLL_INTERVAL = Duration.ofSeconds(15);
    /** Longest wait between polls while the proxy is unreachable (backoff doubles up to this). */
    static final Duration MAX_BACKOFF = Duration.ofMinutes(2);
    /** A poll that has not answered in this time counts as a network error. */
    static final Duration POLL_TIMEOUT = Duration.ofSeconds(10);
    /** Longest single sleep: the loop re-reads the session file at least this often (re-authentication). */
    static final Duration MAX_SLEEP = Duration.ofSeconds(1);
    /** Consecutive polls naming another session id (not the one saved) before the tunnel goes down. */
    static final int MISMATCHES_BEFORE_TEARDOWN = 2;

    private final StateDirectory state;
    private final String location;
    private final Clock clock;
    private final Duration pollInterval;
    private final PrintStream log;

    public Keeper(StateDirectory state, String location, Clock clock, Duration pollInterval, PrintStream log) {
        this.state = state;
        this.location = StateDirectory.checkLocation(location);
        this.clock = clock;
        this.pollInterval = pollInterval;
        this.log = log;
    }

    /** Runs until the session ends here (teardown) or its file disappears ({@code down} ran). Returns 0. */
    public int run() throws InterruptedException {
        TunnelClient client = TunnelClient.of(state, clock);
        Instant nextPoll = clock.instant().plus(pollInterval);
        int failures = 0;
        int mismatches = 0;
        String followed = null;
        while (true) {
            Optional<SavedSession> saved = state.loadSession(location);
            if (saved.isEmpty()) {
                log("no saved session for " + location + " any more (portcullis-agent down ran); stopping");
                return 0;
            }
            SavedSession current = saved.get();
            if (!current.session().id().equals(followed)) {
                log("following session " + current.session().id() + " on " + current.interfaceName() + " until "
                        + current.session().notAfter());
                followed = current.session().id();
                mismatches = 0;
            }
            Instant notAfter = notAfter(current.session());
            Instant now = clock.instant();
            if (!now.isBefore(notAfter)) {
                tearDown(current, "the session reached its end (" + current.session().notAfter() + ")");
                return 0;
            }
            if (!now.isBefore(nextPoll)) {
                Duration timeout = min(POLL_TIMEOUT, Duration.between(now, notAfter));
                Poll poll = poll(client, timeout);
                switch (poll.kind) {
                    case LIVE -> {
                        if (poll.sessionId.equals(current.session().id())) {
                            mismatches = 0;
                            failures = 0;
                        } else {
                            mismatches++;
                            if (mismatches >= MISMATCHES_BEFORE_TEARDOWN) {
                                tearDown(current, "core holds another session (" + poll.sessionId + ") for this location");
                                return 0;
                            }
                            log("core names session " + poll.sessionId + ", not " + current.session().id()
                                    + "; waiting for portcullis-agent up to save it");
                        }
                        nextPoll = clock.instant().plus(pollInterval);
                    }
                    case GONE -> {
                        tearDown(current, poll.reason);
                        return 0;
                    }
                    case TRANSIENT -> {
                        failures++;
                        Duration backoff = backoff(failures);
                        log(poll.reason + "; keeping the tunnel, next try in " + backoff.toSeconds() + " s");
                        nextPoll = clock.instant().plus(backoff);
                    }
                    default -> throw new IllegalStateException();
                }
            }
            Instant wake = nextPoll.isBefore(notAfter) ? nextPoll : notAfter;
            long millis = Math.min(MAX_SLEEP.toMillis(), Duration.between(clock.instant(), wake).toMillis());
            if (millis > 0) {
                Thread.sleep(millis);
            }
        }
    }

    private enum Kind { LIVE, GONE, TRANSIENT }

    private record Poll(Kind kind, String sessionId, String reason) {
    }

    private Poll poll(TunnelClient client, Duration timeout) {
        Locations locations;
        try {
            locations = client.locations(timeout.isZero() || timeout.isNegative() ? Duration.ofMillis(1) : timeout);
        } catch (ServerRefusal refusal) {
            if (refusal.status() == 401) {
                return new Poll(Kind.GONE, null, "core no longer accepts this device (" + refusal.getMessage() + ")");
            }
            return new Poll(Kind.TRANSIENT, null, "core refused the poll (HTTP " + refusal.status() + ": " + refusal.getMessage() + ")");
        } catch (AgentFailure failure) {
            return new Poll(Kind.TRANSIENT, null, "cannot reach core: " + failure.getMessage());
        } catch (RuntimeException unexpected) {
            return new Poll(Kind.TRANSIENT, null, "poll failed (" + unexpected.getClass().getSimpleName() + ")");
        }
        Location here = locations.locations().stream().filter(l -> location.equals(l.name())).findFirst().orElse(null);
        if (here == null) {
            return new Poll(Kind.GONE, null, "core no longer offers location " + location + " to this device");
        }
        if (here.session() == null || here.session().id() == null) {
            return new Poll(Kind.GONE, null, "core says the session ended (revoked, idle or evicted)");
        }
        return new Poll(Kind.LIVE, here.session().id(), null);
    }

    private void tearDown(SavedSession session, String why) {
        log(why + "; removing interface " + session.interfaceName());
        try {
            LocalTunnel.remove(session.interfaceName(), session.namespace());
        } catch (AgentFailure failure) {
            log("could not remove the interface: " + failure.getMessage());
        }
        state.deleteSession(location);
        state.deleteKeeperPid(location);
        log("tunnel to " + location + " is down");
    }

    Duration backoff(int failures) {
        long seconds = pollInterval.toSeconds() << Math.min(failures - 1, 10);
        return min(Duration.ofSeconds(Math.max(1, seconds)), MAX_BACKOFF);
    }

    static Instant notAfter(Session session) {
        try {
            return Instant.parse(session.notAfter());
        } catch (DateTimeParseException | NullPointerException e) {
            return Instant.EPOCH; // unreadable: treat as ended, fail closed
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private void log(String line) {
        log.println(clock.instant() + " keeper[" + location + "]: " + line);
        log.flush();
    }
}
