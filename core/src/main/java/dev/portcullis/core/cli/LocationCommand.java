package dev.portcullis.core.cli;

import dev.portcullis.core.admin.AdminApi;
import io.micronaut.core.type.Argument;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code portcullis-admin location ...}: explicit locations, where enrolled devices get their tunnel addresses. */
@Command(name = "location", description = "Define locations: the address pool devices get tunnel addresses from, DNS, "
        + "routed networks, the MFA policy of tunnel sessions and who may reach it.",
        subcommands = {LocationCommand.Add.class, LocationCommand.ListLocations.class, LocationCommand.Show.class,
                LocationCommand.Set.class},
        footer = {"", "Gateways serve a location by name: portcullis-admin component set GATEWAY --location NAME "
                + "--tunnel-address 10.8.0.1/24. Devices never get a gateway's tunnel address."})
final class LocationCommand implements Runnable {

    @ParentCommand
    AdminCli cli;
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (add, list, show, set)");
    }

    private static String duration(long seconds) {
        Duration duration = Duration.ofSeconds(seconds);
        if (seconds % 3600 == 0) {
            return duration.toHours() + "h";
        }
        return seconds % 60 == 0 ? duration.toMinutes() + "m" : seconds + "s";
    }

    @Command(name = "add", description = "Define a location, e.g.: location add berlin --pool 10.8.0.0/24 --dns 10.8.0.1 "
            + "--route 192.168.50.0/24 --mfa webauthn --group engineering")
    static final class Add implements Callable<Integer> {
        @ParentCommand
        LocationCommand parent;
        @Parameters(paramLabel = "NAME", description = "1 to 63 letters, digits, spaces, '.', '_' or '-'")
        String name;
        @Option(names = "--pool", required = true, paramLabel = "CIDR",
                description = "network devices get addresses from: IPv4 /16 to /30 (e.g. 10.8.0.0/24) or IPv6 /64 to /126")
        String pool;
        @Option(names = "--dns", paramLabel = "ADDRESS", split = ",", description = "DNS server inside the tunnel (repeatable)")
        List<String> dns;
        @Option(names = "--route", paramLabel = "CIDR", split = ",",
                description = "network behind the gateways that devices route into the tunnel (repeatable)")
        List<String> routes;
        @Option(names = "--mfa", paramLabel = "METHODS", split = ",",
                description = "second factors accepted for tunnel sessions: totp, webauthn or both (default both)")
        List<String> mfa;
        @Option(names = "--session-lifetime", paramLabel = "DURATION",
                description = "absolute tunnel session lifetime, 1m to 7d (default 8h)")
        String sessionLifetime;
        @Option(names = "--idle-timeout", paramLabel = "DURATION",
                description = "a session without traffic this long ends, 1m to 1d (default 10m)")
        String idleTimeout;
        @Option(names = "--reauth-on-endpoint-change",
                description = "end a session when the device's public endpoint changes")
        boolean reauthOnEndpointChange;
        @Option(names = "--group", paramLabel = "GROUP", split = ",",
                description = "only members of these groups may reach it (repeatable; default: every user)")
        List<String> groups;
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            AdminCli cli = parent.cli;
            Long lifetime = sessionLifetime == null ? null
                    : PeerCommand.duration(sessionLifetime, "--session-lifetime", spec.commandLine()).toSeconds();
            Long idle = idleTimeout == null ? null
                    : PeerCommand.duration(idleTimeout, "--idle-timeout", spec.commandLine()).toSeconds();
            AdminClient.Answer<AdminApi.LocationView> answer = cli.client().send("POST", "/api/v1/locations",
                    new AdminApi.NewLocation(name, pool, dns, routes, mfa, lifetime, idle, reauthOnEndpointChange, groups),
                    Argument.of(AdminApi.LocationView.class));
            if (cli.json) {
                cli.out.println(answer.raw());
            } else {
                cli.out.println("created location '" + answer.body().name() + "'");
                print(cli, answer.body());
            }
            return 0;
        }
    }

    @Command(name = "list", description = "List the defined locations.")
    static final class ListLocations implements Callable<Integer> {
        @ParentCommand
        LocationCommand parent;

        @Override
        public Integer call() {
            AdminCli cli = parent.cli;
            AdminClient.Answer<List<AdminApi.LocationView>> answer = cli.client().get("/api/v1/locations",
                    Argument.listOf(AdminApi.LocationView.class));
            return cli.list(answer, "no locations defined (add one: portcullis-admin location add NAME --pool 10.8.0.0/24)", rows -> {
                Table table = new Table("NAME", "POOL", "MFA", "SESSION", "IDLE", "GROUPS", "ROUTES");
                for (AdminApi.LocationView l : rows) {
                    table.row(l.name(), l.addressPool(), String.join(",", l.mfaMethods()), duration(l.sessionLifetimeSeconds()),
                            duration(l.idleTimeoutSeconds()), l.groups().isEmpty() ? "everyone" : String.join(",", l.groups()),
                            String.join(",", l.routedNetworks()));
                }
                table.print(cli.out);
            });
        }
    }

    @Command(name = "show", description = "Show a location: its settings, gateways and how many devices have an address there.")
    static final class Show implements Callable<Integer> {
        @ParentCommand
        LocationCommand parent;
        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            AdminCli cli = parent.cli;
            AdminClient.Answer<AdminApi.LocationView> answer = cli.client().get(PeerCommand.locationPath(name),
                    Argument.of(AdminApi.LocationView.class));
            if (cli.json) {
                cli.out.println(answer.raw());
            } else {
                print(cli, answer.body());
            }
            return 0;
        }
    }

    @Command(name = "set", description = "Change a location's MFA policy or groups, e.g.: location set berlin --mfa webauthn "
            + "--idle-timeout 15m. Every live tunnel session of the location ends at once; devices pass MFA again.")
    static final class Set implements Callable<Integer> {
        @ParentCommand
        LocationCommand parent;
        @Parameters(paramLabel = "NAME")
        String name;
        @Option(names = "--mfa", paramLabel = "METHODS", split = ",",
                description = "second factors accepted for tunnel sessions: totp, webauthn or both")
        List<String> mfa;
        @Option(names = "--session-lifetime", paramLabel = "DURATION", description = "absolute tunnel session lifetime, 1m to 7d")
        String sessionLifetime;
        @Option(names = "--idle-timeout", paramLabel = "DURATION",
                description = "a session without a handshake this long ends, 1m to 1d")
        String idleTimeout;
        @Option(names = "--reauth-on-endpoint-change", paramLabel = "true|false", arity = "1",
                description = "end a session when the device's public address changes")
        String reauthOnEndpointChange;
        @Option(names = "--groups", paramLabel = "GROUPS", split = ",",
                description = "only members of these groups may reach it; \"\" for every user")
        List<String> groups;
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            AdminCli cli = parent.cli;
            Long lifetime = sessionLifetime == null ? null
                    : PeerCommand.duration(sessionLifetime, "--session-lifetime", spec.commandLine()).toSeconds();
            Long idle = idleTimeout == null ? null
                    : PeerCommand.duration(idleTimeout, "--idle-timeout", spec.commandLine()).toSeconds();
            Boolean reauth = reauthOnEndpointChange == null ? null : bool(reauthOnEndpointChange, spec.commandLine());
            List<String> groupNames = groups == null ? null : groups.stream().map(String::strip).filter(g -> !g.isEmpty()).toList();
            if (mfa == null && lifetime == null && idle == null && reauth == null && groupNames == null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "nothing to change: give at least one of --mfa, "
                        + "--session-lifetime, --idle-timeout, --reauth-on-endpoint-change, --groups");
            }
            AdminClient.Answer<AdminApi.LocationPolicyChanged> answer = cli.client().send("PATCH", PeerCommand.locationPath(name),
                    new AdminApi.LocationPolicyChange(mfa, lifetime, idle, reauth, groupNames),
                    Argument.of(AdminApi.LocationPolicyChanged.class));
            if (cli.json) {
                cli.out.println(answer.raw());
            } else {
                cli.out.println("changed location '" + answer.body().location().name() + "'; " + answer.body().sessionsEnded()
                        + " tunnel session(s) ended (their devices pass MFA again)");
                print(cli, answer.body().location());
            }
            return 0;
        }

        private static boolean bool(String text, CommandLine commandLine) {
            return switch (text.strip().toLowerCase(java.util.Locale.ROOT)) {
                case "true", "yes", "on" -> true;
                case "false", "no", "off" -> false;
                default -> throw new CommandLine.ParameterException(commandLine,
                        "--reauth-on-endpoint-change must be true or false");
            };
        }
    }

    static void print(AdminCli cli, AdminApi.LocationView l) {
        cli.out.println("location '" + l.name() + "': pool " + l.addressPool()
                + (l.devices() == null ? "" : ", " + l.devices() + " device(s) with an address"));
        cli.out.println("  dns: " + (l.dns().isEmpty() ? "-" : String.join(", ", l.dns()))
                + "; routes: " + (l.routedNetworks().isEmpty() ? "-" : String.join(", ", l.routedNetworks())));
        cli.out.println("  mfa: " + String.join(", ", l.mfaMethods()) + "; session lifetime " + duration(l.sessionLifetimeSeconds())
                + ", idle timeout " + duration(l.idleTimeoutSeconds())
                + (l.reauthOnEndpointChange() ? ", re-authenticate when the endpoint changes" : ""));
        cli.out.println("  reachable by: " + (l.groups().isEmpty() ? "every user" : "members of " + String.join(", ", l.groups())));
        if (l.gateways() != null) {
            if (l.gateways().isEmpty()) {
                cli.out.println("  gateways: none (portcullis-admin component set GATEWAY --location " + l.name() + ")");
            } else {
                Table table = new Table("  GATEWAY", "ENDPOINT", "PUBLIC KEY", "MTU");
                for (AdminApi.LocationGateway g : l.gateways()) {
                    table.row("  " + g.name(), g.endpoint() == null ? "not reported yet" : g.endpoint(), g.publicKey(),
                            g.mtu() == 0 ? "default" : Integer.toString(g.mtu()));
                }
                table.print(cli.out);
            }
        }
    }
}
