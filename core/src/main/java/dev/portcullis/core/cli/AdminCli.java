package dev.portcullis.core.cli;

import dev.portcullis.core.admin.AdminApi;
import dev.portcullis.core.audit.AuditCommand;
import dev.portcullis.core.secretfile.OwnerOnlyFile;
import io.micronaut.core.type.Argument;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code portcullis-admin}: the operator's command line for core's admin API.
 * Exit codes: 0 done, 1 the API refused or could not be reached, 2 wrong usage.
 */
@Command(name = "portcullis-admin", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT,
        versionProvider = AdminCli.Version.class,
        description = "Administers Portcullis core through its internal admin API.",
        subcommands = {AdminCli.Status.class, AdminCli.ComponentCommand.class, LocationCommand.class, PeerCommand.class,
                AclCommand.class, UserCommand.class, GroupCommand.class, DeviceCommand.class, SessionCommand.class,
                AdminCli.AdminTokenCommand.class,
                AuditCommand.class},
        footer = {"", "Environment: PORTCULLIS_ADMIN_URL, PORTCULLIS_ADMIN_TOKEN (a token; overrides the default token "
                + "file), PORTCULLIS_HOME (where the default token file is).",
                "Exit codes: 0 done, 1 refused by core or core unreachable, 2 usage error."})
public final class AdminCli {

    static final String DEFAULT_URL = "http://127.0.0.1:8080";

    @Option(names = "--url", paramLabel = "URL", scope = CommandLine.ScopeType.INHERIT,
            description = "Core's admin API (default: $PORTCULLIS_ADMIN_URL or " + DEFAULT_URL + ").")
    URI url;

    @Option(names = "--token-file", paramLabel = "FILE", scope = CommandLine.ScopeType.INHERIT,
            description = "File holding an admin token (default: $PORTCULLIS_ADMIN_TOKEN if set, else "
                    + "$PORTCULLIS_HOME/admin-token, else ./.portcullis/core/admin-token).")
    Path tokenFile;

    @Option(names = "--json", scope = CommandLine.ScopeType.INHERIT, description = "Print the API's JSON instead of tables.")
    boolean json;

    private final Map<String, String> env;
    final PrintWriter out;

    AdminCli(Map<String, String> env, PrintWriter out) {
        this.env = env;
        this.out = out;
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        System.exit(execute(args, System.getenv(), out, err));
    }

    /** Runs the CLI; returns its exit code. */
    public static int execute(String[] args, Map<String, String> env, PrintWriter out, PrintWriter err) {
        CommandLine commandLine = new CommandLine(new AdminCli(env, out));
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setExecutionExceptionHandler((failure, cmd, parsed) -> {
            if (failure instanceof CliFailure) {
                err.println("portcullis-admin: " + failure.getMessage());
            } else {
                err.println("portcullis-admin: unexpected error (" + failure.getClass().getSimpleName() + ": "
                        + failure.getMessage() + ")");
            }
            return 1;
        });
        int code = commandLine.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    // ---- shared plumbing -------------------------------------------------------------------------

    AdminClient client() {
        URI base = url != null ? url : URI.create(env.getOrDefault("PORTCULLIS_ADMIN_URL", DEFAULT_URL));
        if (tokenFile == null && env.get("PORTCULLIS_ADMIN_TOKEN") != null && !env.get("PORTCULLIS_ADMIN_TOKEN").isBlank()) {
            return new AdminClient(base, env.get("PORTCULLIS_ADMIN_TOKEN").strip(), "$PORTCULLIS_ADMIN_TOKEN");
        }
        Path file = tokenFile != null ? tokenFile : defaultTokenFile();
        return new AdminClient(base, readToken(file), file.toString());
    }

    private Path defaultTokenFile() {
        String home = env.get("PORTCULLIS_HOME");
        return home != null && !home.isBlank() ? Path.of(home, "admin-token") : Path.of(".portcullis", "core", "admin-token");
    }

    private static String readToken(Path file) {
        if (!Files.isReadable(file)) {
            throw new CliFailure("no admin token: cannot read " + file + "; pass --token-file FILE or set PORTCULLIS_ADMIN_TOKEN");
        }
        try {
            String token = Files.readString(file, StandardCharsets.US_ASCII).strip();
            if (token.isEmpty()) {
                throw new CliFailure("no admin token: " + file + " is empty");
            }
            return token;
        } catch (IOException e) {
            throw new CliFailure("no admin token: cannot read " + file + " (" + e.getMessage() + ")");
        }
    }

    static String path(String name) {
        return URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** An ISO instant shown to the second; anything else as it came. */
    static String seconds(String instant) {
        if (instant == null) {
            return null;
        }
        try {
            return Instant.parse(instant).truncatedTo(ChronoUnit.SECONDS).toString();
        } catch (DateTimeParseException e) {
            return instant;
        }
    }

    static String minutes(long seconds) {
        Duration duration = Duration.ofSeconds(seconds);
        return duration.toMinutes() >= 1 ? duration.toMinutes() + " min" : seconds + " s";
    }

    /** Answers a listing: the raw JSON with {@code --json}, {@code whenEmpty} for none, else {@code table}. */
    <T> int list(AdminClient.Answer<List<T>> answer, String whenEmpty, java.util.function.Consumer<List<T>> table) {
        if (json) {
            out.println(answer.raw());
        } else if (answer.body().isEmpty()) {
            out.println(whenEmpty);
        } else {
            table.accept(answer.body());
        }
        return 0;
    }

    /** Answers a change: the raw JSON with {@code --json}, else one sentence made from the answer. */
    <T> int report(AdminClient.Answer<T> answer, java.util.function.Function<T, String> sentence) {
        out.println(json ? answer.raw() : sentence.apply(answer.body()));
        return 0;
    }

    void printComponents(List<AdminApi.ComponentView> components) {
        Table table = new Table("NAME", "ROLE", "ADDRESS", "STATE", "LINK", "CONFIG", "WIREGUARD", "SETTINGS");
        for (AdminApi.ComponentView c : components) {
            table.row(c.name(), c.role(), c.address(), c.state(), c.link() == null ? "-" : c.link().phase(),
                    "v" + c.configVersion(), c.wireguard() == null ? "-"
                            : c.wireguard().publicKey() + (c.wireguard().listenPort() > 0 ? " udp/" + c.wireguard().listenPort() : ""),
                    settings(c.settings()));
        }
        table.print(out);
    }

    private static String settings(AdminApi.Settings s) {
        StringBuilder text = new StringBuilder();
        if (s.publicOrigin() != null) {
            text.append("origin=").append(s.publicOrigin()).append(' ');
        }
        if (s.requestsPerMinutePerAddress() != null) {
            text.append("rate=").append(s.requestsPerMinutePerAddress()).append("/min ");
        }
        if (s.location() != null) {
            text.append("location=").append(s.location()).append(' ');
        }
        if (s.deviceEndpoint() != null) {
            text.append("device-endpoint=").append(s.deviceEndpoint()).append(' ');
        }
        if (s.tunnelAddresses() != null && !s.tunnelAddresses().isEmpty()) {
            text.append("tunnel=").append(String.join(",", s.tunnelAddresses())).append(' ');
        }
        if (s.mtu() != null && s.mtu() != 0) {
            text.append("mtu=").append(s.mtu()).append(' ');
        }
        if (s.notice() != null && !s.notice().isEmpty()) {
            text.append("notice=\"").append(s.notice().length() > 30 ? s.notice().substring(0, 30) + "…" : s.notice())
                    .append('"');
        }
        return text.toString().strip();
    }

    // ---- commands --------------------------------------------------------------------------------

    @Command(name = "status", description = "Core's version, CA fingerprint and the link to each component.")
    static final class Status implements Callable<Integer> {
        @ParentCommand
        AdminCli cli;

        @Override
        public Integer call() {
            AdminClient.Answer<AdminApi.Status> answer = cli.client().get("/api/v1/status", Argument.of(AdminApi.Status.class));
            if (cli.json) {
                cli.out.println(answer.raw());
                return 0;
            }
            AdminApi.Status status = answer.body();
            cli.out.println("core " + status.version() + "   CA " + status.caFingerprint());
            if (status.components().isEmpty()) {
                cli.out.println("no components registered (add one: portcullis-admin component add --role edge-proxy "
                        + "--name NAME --address HOST:PORT)");
                return 0;
            }
            Table table = new Table("NAME", "ROLE", "ADDRESS", "STATE", "LINK", "SINCE", "CERT EXPIRES", "LAST ERROR");
            for (AdminApi.ComponentView c : status.components()) {
                AdminApi.Link link = c.link();
                table.row(c.name(), c.role(), c.address(), c.state(), link == null ? "-" : link.phase(),
                        link == null ? "-" : seconds(link.since()), link == null ? "-" : seconds(link.certificateNotAfter()),
                        link == null ? "-" : link.lastError());
            }
            table.print(cli.out);
            return 0;
        }
    }

    @Command(name = "component", description = "Register, list, re-key, configure and remove edge proxies and gateways.",
            subcommands = {ComponentCommand.Add.class, ComponentCommand.ListComponents.class, ComponentCommand.Remove.class,
                    ComponentCommand.Token.class, ComponentCommand.Rotate.class, ComponentCommand.Set.class})
    static final class ComponentCommand implements Runnable {
        @ParentCommand
        AdminCli cli;
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (add, list, remove, token, rotate, set)");
        }

        @Command(name = "add", description = "Register a component and print its one-time join token.")
        static final class Add implements Callable<Integer> {
            @ParentCommand
            ComponentCommand parent;
            @Option(names = "--role", required = true, paramLabel = "ROLE", description = "edge-proxy or gateway")
            String role;
            @Option(names = "--name", required = true, paramLabel = "NAME", description = "unique name, e.g. edge-1")
            String name;
            @Option(names = "--address", required = true, paramLabel = "HOST:PORT", description = "where core dials it")
            String address;
            @Option(names = "--token-file-out", paramLabel = "FILE",
                    description = "write the join token to FILE (owner-only) instead of printing it")
            Path tokenFileOut;

            @Override
            public Integer call() {
                AdminCli cli = parent.cli;
                AdminClient.Answer<AdminApi.RegisteredComponent> answer = cli.client().send("POST", "/api/v1/components",
                        new AdminApi.NewComponent(name, role, address), Argument.of(AdminApi.RegisteredComponent.class));
                AdminApi.RegisteredComponent registered = answer.body();
                if (tokenFileOut != null) {
                    OwnerOnlyFile.write(tokenFileOut, (registered.joinToken() + "\n").getBytes(StandardCharsets.US_ASCII));
                }
                if (cli.json) {
                    cli.out.println(tokenFileOut == null ? answer.raw()
                            : answer.raw().replace(registered.joinToken(), "<written to " + tokenFileOut + ">"));
                    return 0;
                }
                cli.out.println("registered " + registered.role() + " '" + registered.name() + "' (id " + registered.id()
                        + ") at " + registered.address() + ": pending until it joins");
                printToken(cli.out, registered.joinToken(), registered.joinTokenExpiresInSeconds(), tokenFileOut);
                cli.out.println("start the component with this token; core dials " + registered.address() + " to adopt it");
                return 0;
            }
        }

        @Command(name = "list", description = "List registered components.")
        static final class ListComponents implements Callable<Integer> {
            @ParentCommand
            ComponentCommand parent;

            @Override
            public Integer call() {
                AdminCli cli = parent.cli;
                AdminClient.Answer<List<AdminApi.ComponentView>> answer = cli.client().get("/api/v1/components",
                        Argument.listOf(AdminApi.ComponentView.class));
                return cli.list(answer, "no components registered", rows -> cli.printComponents(rows));
            }
        }

        @Command(name = "remove", description = "Remove a component: its certificates are revoked and its link closed.")
        static final class Remove implements Callable<Integer> {
            @ParentCommand
            ComponentCommand parent;
            @Parameters(paramLabel = "NAME")
            String name;

            @Override
            public Integer call() {
                AdminCli cli = parent.cli;
                AdminClient.Answer<AdminApi.RemovedComponent> answer = cli.client().send("DELETE",
                        "/api/v1/components/" + path(name), null, Argument.of(AdminApi.RemovedComponent.class));
                return cli.report(answer, answered -> "removed '" + name + "' (id " + answered.id() + "); its certificates are revoked");
            }
        }

        @Command(name = "token", description = "Issue a new join token for a component that has not joined yet.")
        static final class Token implements Callable<Integer> {
            @ParentCommand
            ComponentCommand parent;
            @Parameters(paramLabel = "NAME")
            String name;
            @Option(names = "--token-file-out", paramLabel = "FILE",
                    description = "write the join token to FILE (owner-only) instead of printing it")
            Path tokenFileOut;

            @Override
            public Integer call() {
                AdminCli cli = parent.cli;
                AdminClient.Answer<AdminApi.JoinTokenIssued> answer = cli.client().send("POST",
                        "/api/v1/components/" + path(name) + "/token", null, Argument.of(AdminApi.JoinTokenIssued.class));
                if (tokenFileOut != null) {
                    OwnerOnlyFile.write(tokenFileOut, (answer.body().joinToken() + "\n").getBytes(StandardCharsets.US_ASCII));
                }
                if (cli.json) {
                    cli.out.println(tokenFileOut == null ? answer.raw()
                            : answer.raw().replace(answer.body().joinToken(), "<written to " + tokenFileOut + ">"));
                    return 0;
                }
                cli.out.println("new join token for '" + name + "'; earlier unused tokens no longer work");
                printToken(cli.out, answer.body().joinToken(), answer.body().joinTokenExpiresInSeconds(), tokenFileOut);
                return 0;
            }
        }

        @Command(name = "rotate", description = "Rotate a component's certificate now.")
        static final class Rotate implements Callable<Integer> {
            @ParentCommand
            ComponentCommand parent;
            @Parameters(paramLabel = "NAME")
            String name;

            @Override
            public Integer call() {
                AdminCli cli = parent.cli;
                AdminClient.Answer<AdminApi.ComponentView> answer = cli.client().send("POST",
                        "/api/v1/components/" + path(name) + "/rotate", null, Argument.of(AdminApi.ComponentView.class));
                return cli.report(answer, answered -> "certificate rotation requested for '" + name + "'");
            }
        }

        @Command(name = "set", description = "Change a component's settings; core pushes them to it.")
        static final class Set implements Callable<Integer> {
            @ParentCommand
            ComponentCommand parent;
            @Parameters(paramLabel = "NAME")
            String name;
            @Option(names = "--public-origin", paramLabel = "URL", description = "edge-proxy: e.g. https://access.example.com")
            String publicOrigin;
            @Option(names = "--rate-limit", paramLabel = "N", description = "edge-proxy: requests per minute per client address")
            Integer rateLimit;
            @Option(names = "--notice", paramLabel = "TEXT", description = "notice shown by the component (empty to clear)")
            String notice;
            @Option(names = "--location", paramLabel = "NAME", description = "gateway: the location it serves")
            String location;
            @Option(names = "--tunnel-address", paramLabel = "CIDR",
                    description = "gateway: its own address on the tunnel network, e.g. 10.80.0.1/24 (repeatable; "
                            + "replaces the current list)")
            List<String> tunnelAddresses;
            @Option(names = "--mtu", paramLabel = "N", description = "gateway: WireGuard interface MTU, 1280-9000 (0 = default)")
            Integer mtu;
            @Option(names = "--device-endpoint", paramLabel = "HOST",
                    description = "gateway: the host name or address devices dial, when it is not the address core "
                            + "dials (NAT, a separate interface); empty to clear")
            String deviceEndpoint;
            @Spec
            CommandLine.Model.CommandSpec spec;

            @Override
            public Integer call() {
                AdminCli cli = parent.cli;
                if (publicOrigin == null && rateLimit == null && notice == null && location == null && tunnelAddresses == null
                        && mtu == null && deviceEndpoint == null) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "nothing to set: give --public-origin, "
                            + "--rate-limit, --notice, --location, --tunnel-address, --mtu or --device-endpoint");
                }
                AdminClient.Answer<AdminApi.ComponentView> answer = cli.client().send("PUT",
                        "/api/v1/components/" + path(name) + "/settings",
                        new AdminApi.Settings(publicOrigin, rateLimit, location, notice, tunnelAddresses, mtu, deviceEndpoint),
                        Argument.of(AdminApi.ComponentView.class));
                if (cli.json) {
                    cli.out.println(answer.raw());
                } else {
                    cli.out.println("settings of '" + name + "' changed (configuration v" + answer.body().configVersion() + ")");
                    cli.printComponents(List.of(answer.body()));
                }
                return 0;
            }
        }

        private static void printToken(PrintWriter out, String token, long expiresInSeconds, Path tokenFileOut) {
            if (tokenFileOut != null) {
                out.println("join token written to " + tokenFileOut + " (owner-only; expires in " + minutes(expiresInSeconds)
                        + ", single use)");
                return;
            }
            out.println("join token (shown once; expires in " + minutes(expiresInSeconds) + ", single use):");
            out.println();
            out.println("    " + token);
            out.println();
        }
    }

    @Command(name = "admin-token", description = "Manage admin API tokens.", subcommands = AdminTokenCommand.Create.class)
    static final class AdminTokenCommand implements Runnable {
        @ParentCommand
        AdminCli cli;
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (create)");
        }

        @Command(name = "create", description = "Create a named admin token (one per person or automation).")
        static final class Create implements Callable<Integer> {
            @ParentCommand
            AdminTokenCommand parent;
            @Parameters(paramLabel = "NAME")
            String name;

            @Override
            public Integer call() {
                AdminCli cli = parent.cli;
                AdminClient.Answer<AdminApi.AdminTokenIssued> answer = cli.client().send("POST", "/api/v1/admin-tokens",
                        new AdminApi.NewAdminToken(name), Argument.of(AdminApi.AdminTokenIssued.class));
                if (cli.json) {
                    cli.out.println(answer.raw());
                    return 0;
                }
                cli.out.println("admin token '" + answer.body().name() + "' (id " + answer.body().id() + "), shown once:");
                cli.out.println();
                cli.out.println("    " + answer.body().token());
                cli.out.println();
                return 0;
            }
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"portcullis-admin " + dev.portcullis.core.admin.CoreVersion.current()};
        }
    }
}
