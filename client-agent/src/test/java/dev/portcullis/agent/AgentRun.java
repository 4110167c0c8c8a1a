package dev.portcullis.agent;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

/** One in-process run of the real {@link AgentMain}, with stdin given up front and stdout/stderr captured. */
record AgentRun(int exitCode, String stdout, String stderr) {

    static AgentRun run(Path home, String stdin, String... args) {
        return run(Map.of(), home, stdin, args);
    }

    static AgentRun run(Map<String, String> environment, Path home, String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        int code = AgentMain.execute(args, environment, new dev.portcullis.agent.terminal.PipedTerminal(
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), errStream), outStream, errStream, home,
                Clock.systemUTC());
        return new AgentRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Everything the user saw. */
    String all() {
        return stdout + "\n" + stderr;
    }
}
