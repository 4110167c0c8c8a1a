package dev.portcullis.agent;

import dev.portcullis.agent.outcome.AgentFailure;
import dev.portcullis.agent.outcome.ExitCode;
import dev.portcullis.agent.state.StateDirectory;
import dev.portcullis.agent.terminal.ConsoleTerminal;
import dev.portcullis.agent.terminal.Output;
import dev.portcullis.agent.terminal.PipedTerminal;
import dev.portcullis.agent.terminal.Terminal;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code portcullis-agent}: enrolls this device from an invite link, shows its enrollment, and starts,
 * keeps and ends tunnel sessions.
 * A thin shell: parses arguments, wires the terminal, state directory and clock, runs one command
 * and turns every failure into one line on stderr and an {@link ExitCode}. Never a stack trace.
 */
@Command(name = "portcullis-agent", mixinStandardHelpOptions = true, usageHelpWidth = 100, versionProvider = AgentMain.Version.class,
        description = {"The Portcullis client agent: enrolls this device with the invite link an administrator sent you, "
                + "then opens WireGuard tunnels to locations after a second factor for each tunnel session.",
            "Its WireGuard key and device credential are generated on this device and never leave it."},
        subcommands = {EnrollCommand.class, StatusCommand.class, LocationsCommand.class, UpCommand.class, DownCommand.class,
            SessionsCommand.class, ExportCommand.class, KeepCommand.class},
        footer = {"", "Environment: PORTCULLIS_AGENT_HOME (state directory, default ~/.portcullis-agent)."})
public final class AgentMain implements Callable<Integer> {

    /** Anything that looks like an invite token (or a pin): never echoed back in a usage error. */
    private static final Pattern SECRET_LOOKING = Pattern.compile("[A-Za-z0-9_-]{32,}");

    @Option(names = "--state-dir", paramLabel = "DIR", scope = CommandLine.ScopeType.INHERIT,
            description = "Where this device's keys and enrollment are kept (default: $PORTCULLIS_AGENT_HOME or ~/.portcullis-agent).")
    Path stateDir;

    @Option(names = "--json", scope = CommandLine.ScopeType.INHERIT,
            description = "Print one JSON object on stdout at the end; progress and prompts go to stderr.")
    boolean json;

    @Spec
    CommandSpec spec;

    private final Map<String, String> environment;
    private final Terminal terminal;
    private final PrintStream out;
    private final PrintStream err;
    private final Path userHome;
    private final Clock clock;

    AgentMain(Map<String, String> environment, Terminal terminal, PrintStream out, PrintStream err, Path userHome, Clock clock) {
        this.environment = environment;
        this.terminal = terminal;
        this.out = out;
        this.err = err;
        this.userHome = userHome;
        this.clock = clock;
    }

    public static void main(String[] args) {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(System.err, true, StandardCharsets.UTF_8);
        Console console = System.console();
        Terminal terminal = console != null ? new ConsoleTerminal(console) : new PipedTerminal(System.in, err);
        System.exit(execute(args, System.getenv(), terminal, out, err, Path.of(System.getProperty("user.home")), Clock.systemUTC()));
    }

    /** Runs the agent with input from {@code in} (one answer per line) as a script would; returns the exit code. */
    public static int execute(String[] args, Map<String, String> environment, InputStream in, PrintStream out, PrintStream err) {
        return execute(args, environment, new PipedTerminal(in, err), out, err, Path.of(System.getProperty("user.home")),
                Clock.systemUTC());
    }

    static int execute(String[] args, Map<String, String> environment, Terminal terminal, PrintStream out, PrintStream err,
                       Path userHome, Clock clock) {
        AgentMain agent = new AgentMain(environment, terminal, out, err, userHome, clock);
        CommandLine commandLine = new CommandLine(agent);
        commandLine.setOut(new java.io.PrintWriter(out, true, StandardCharsets.UTF_8));
        commandLine.setErr(new java.io.PrintWriter(err, true, StandardCharsets.UTF_8));
        addExitCodes(commandLine);
        commandLine.setParameterExceptionHandler((failure, arguments) -> {
            err.println("portcullis-agent: " + redact(failure.getMessage()));
            err.println("Run 'portcullis-agent --help' for usage.");
            err.flush();
            return ExitCode.USAGE.code();
        });
        commandLine.setExecutionExceptionHandler((failure, cmd, parsed) -> {
            Output output = new Output(out, err, agent.json);
            if (failure instanceof AgentFailure known) {
                output.error(known.getMessage());
                return known.exitCode().code();
            }
            // Not expected: name the kind of failure only; its message might hold anything.
            output.error("unexpected internal error (" + failure.getClass().getSimpleName() + "); nothing secret was printed. "
                    + "Please report it.");
            return ExitCode.INTERNAL.code();
        });
        int code = commandLine.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** Without a command: show the usage and fail, so a script notices. */
    @Override
    public Integer call() {
        spec.commandLine().usage(err);
        return ExitCode.USAGE.code();
    }

    Output output() {
        return new Output(out, err, json);
    }

    Terminal terminal() {
        return terminal;
    }

    StateDirectory stateDirectory() {
        return StateDirectory.resolve(stateDir, environment, userHome);
    }

    Clock clock() {
        return clock;
    }

    PrintStream outStream() {
        return out;
    }

    /** The process's stderr: the keeper's log (its output is redirected to the log file). */
    PrintStream errStream() {
        return err;
    }

    Map<String, String> environment() {
        return environment;
    }

    private static void addExitCodes(CommandLine commandLine) {
        Map<String, String> codes = new LinkedHashMap<>();
        for (ExitCode code : ExitCode.values()) {
            codes.put(String.format("%3d", code.code()), code.description());
        }
        commandLine.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n").exitCodeList(codes);
        for (CommandLine sub : commandLine.getSubcommands().values()) {
            sub.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n").exitCodeList(codes);
        }
    }

    static String redact(String message) {
        return message == null ? "" : SECRET_LOOKING.matcher(message).replaceAll("<redacted>");
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            Properties properties = new Properties();
            try (InputStream in = AgentMain.class.getResourceAsStream("/portcullis/agent-version.properties")) {
                if (in != null) {
                    properties.load(in);
                }
            } catch (IOException e) {
                // fall through to "unknown"
            }
            return new String[] {"portcullis-agent " + properties.getProperty("version", "unknown")};
        }
    }
}
