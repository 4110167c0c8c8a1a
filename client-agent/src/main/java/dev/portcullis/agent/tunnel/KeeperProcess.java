package dev.portcullis.agent.tunnel;

import dev.portcullis.agent.outcome.AgentFailure;
import dev.portcullis.agent.outcome.ExitCode;
import dev.portcullis.agent.state.StateDirectory;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * Starts, finds and stops the background {@code portcullis-agent keep <location>} process: a new
 * JVM on the same class path, detached ({@code setsid}, stdin from /dev/null, output appended to
 * {@code keeper-<location>.log}), its process id in {@code keeper-<location>.pid}.
 */
public final class KeeperProcess {

    /** How long {@code down} lets a keeper exit on SIGTERM before killing it. */
    static final long STOP_TIMEOUT_SECONDS = 5;
    private static final Path SETSID = Path.of("/usr/bin/setsid");

    private KeeperProcess() {
    }

    /** The live keeper of {@code location}, if its pid file names a running {@code keep} for it. */
    public static Optional<ProcessHandle> find(StateDirectory state, String location) {
        OptionalLong pid = state.keeperPid(location);
        if (pid.isEmpty()) {
            return Optional.empty();
        }
        return ProcessHandle.of(pid.getAsLong()).filter(ProcessHandle::isAlive).filter(handle -> {
            List<String> arguments = handle.info().arguments().map(Arrays::asList).orElse(List.of());
            return arguments.contains("keep") && arguments.contains(location);
        });
    }

    /** Starts a keeper and returns its process id. */
    public static long start(StateDirectory state, String location, Long pollSeconds) {
        List<String> command = new ArrayList<>();
        if (Files.isExecutable(SETSID)) {
            command.add(SETSID.toString());
        }
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of("-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), "dev.portcullis.agent.AgentMain",
                "--state-dir", state.path().toString(), "keep", location));
        if (pollSeconds != null) {
            command.addAll(List.of("--poll-seconds", Long.toString(pollSeconds)));
        }
        try {
            File log = state.keeperLogFile(location).toFile();
            Process process = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log))
                    .redirectErrorStream(true)
                    .start();
            state.saveKeeperPid(location, process.pid());
            return process.pid();
        } catch (IOException e) {
            throw new AgentFailure(ExitCode.LOCAL_STATE, "cannot start the session keeper (" + e.getClass().getSimpleName()
                    + "); the tunnel is up but will not be taken down at its end: run portcullis-agent down " + location, e);
        }
    }

    /** Stops the keeper, if one runs: SIGTERM, then SIGKILL after {@link #STOP_TIMEOUT_SECONDS}. True if one ran. */
    public static boolean stop(StateDirectory state, String location) {
        Optional<ProcessHandle> keeper = find(state, location);
        state.deleteKeeperPid(location);
        if (keeper.isEmpty()) {
            return false;
        }
        ProcessHandle handle = keeper.get();
        handle.destroy();
        try {
            handle.onExit().get(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            handle.destroyForcibly();
        }
        return true;
    }
}
