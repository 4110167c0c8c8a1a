package dev.portcullis.core.cli;

import dev.portcullis.core.admin.AdminApi;
import io.micronaut.core.type.Argument;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code portcullis-admin peer ...}: admit, list and evict device peers of a location. */
@Command(name = "peer", description = "Admit, list and evict the device peers of a location's gateways.",
        subcommands = {PeerCommand.Admit.class, PeerCommand.ListPeers.class, PeerCommand.Evict.class})
final class PeerCommand implements Runnable {

    private static final Pattern DURATION = Pattern.compile("(\\d{1,7})([smhd]?)");

    @ParentCommand
    AdminCli cli;
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (admit, list, evict)");
    }

    static String locationPath(String location) {
        return "/api/v1/locations/" + AdminCli.path(location);
    }

    /** "90s", "30m", "8h", "2d" or plain seconds. */
    static Duration duration(String text, CommandLine commandLine) {
        return duration(text, "--lifetime", commandLine);
    }

    /** "90s", "30m", "8h", "2d" or plain seconds, given to {@code option}. */
    static Duration duration(String text, String option, CommandLine commandLine) {
        Matcher matcher = DURATION.matcher(text == null ? "" : text.strip().toLowerCase(Locale.ROOT));
        if (!matcher.matches()) {
            throw new CommandLine.ParameterException(commandLine, option + " must look like 90s, 30m, 8h or 2d");
        }
        long amount = Long.parseLong(matcher.group(1));
        return switch (matcher.group(2)) {
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            case "d" -> Duration.ofDays(amount);
            default -> Duration.ofSeconds(amount);
        };
    }

    static String gateways(List<AdminApi.GatewayOutcome> outcomes) {
        if (outcomes.isEmpty()) {
            return "no gateway";
        }
        return String.join(", ", outcomes.stream()
                .map(o -> o.name() + (o.acknowledged() ? " acknowledged" : " did not acknowledge (" + o.error() + ")"))
                .toList());
    }

    @Command(name = "admit", description = "Admit a device's WireGuard key to every gateway of LOCATION; "
            + "prints the session's preshared key once, only if every gateway acknowledged.")
    static final class Admit implements Callable<Integer> {
        @ParentCommand
        PeerCommand parent;
        @Parameters(paramLabel = "LOCATION")
        String location;
        @Option(names = "--public-key", paramLabel = "BASE64", required = true, description = "the device's public key (as wg prints it)")
        String publicKey;
        @Option(names = "--allowed-ip", paramLabel = "CIDR", required = true,
                description = "the device's tunnel address, e.g. 10.80.0.2/32 (repeatable)")
        List<String> allowedIps;
        @Option(names = "--lifetime", paramLabel = "DURATION", description = "session lifetime, e.g. 8h (default), 30m, 2d")
        String lifetime;
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            AdminCli cli = parent.cli;
            Long seconds = lifetime == null ? null : duration(lifetime, spec.commandLine()).toSeconds();
            AdminClient.Answer<AdminApi.AdmittedPeer> answer = cli.client().send("POST", locationPath(location) + "/peers",
                    new AdminApi.NewPeer(publicKey, allowedIps, seconds), Argument.of(AdminApi.AdmittedPeer.class));
            if (cli.json) {
                cli.out.println(answer.raw());
                return 0;
            }
            AdminApi.AdmittedPeer peer = answer.body();
            cli.out.println("admitted " + peer.publicKey() + " at '" + peer.location() + "' (session " + peer.sessionId()
                    + ", until " + AdminCli.seconds(peer.notAfter()) + "): " + gateways(peer.gateways()));
            cli.out.println("preshared key (shown once; give it to the device only):");
            cli.out.println();
            cli.out.println("    " + peer.presharedKey());
            cli.out.println();
            return 0;
        }
    }

    @Command(name = "list", description = "List the live sessions (admitted peers) of LOCATION; never their keys.")
    static final class ListPeers implements Callable<Integer> {
        @ParentCommand
        PeerCommand parent;
        @Parameters(paramLabel = "LOCATION")
        String location;

        @Override
        public Integer call() {
            AdminCli cli = parent.cli;
            AdminClient.Answer<List<AdminApi.PeerView>> answer = cli.client().get(locationPath(location) + "/peers",
                    Argument.listOf(AdminApi.PeerView.class));
            return cli.list(answer, "no admitted peers at '" + location + "'", rows -> {
                Table table = new Table("PUBLIC KEY", "ALLOWED IPS", "SESSION", "NOT AFTER", "SEEN BY");
                for (AdminApi.PeerView peer : rows) {
                    table.row(peer.publicKey(), String.join(",", peer.allowedIps()), peer.sessionId(),
                            AdminCli.seconds(peer.notAfter()), String.join(", ", peer.gateways().stream()
                                    .map(g -> g.name() + (g.endpoint() == null ? "" : " " + g.endpoint())
                                            + (g.lastHandshake() == null ? " (no handshake)"
                                            : " (handshake " + AdminCli.seconds(g.lastHandshake()) + ")"))
                                    .toList()));
                }
                table.print(cli.out);
            });
        }
    }

    @Command(name = "evict", description = "End a device's session at LOCATION now: removed from every gateway.")
    static final class Evict implements Callable<Integer> {
        @ParentCommand
        PeerCommand parent;
        @Parameters(index = "0", paramLabel = "LOCATION")
        String location;
        @Parameters(index = "1", paramLabel = "PUBLIC-KEY", description = "the device's public key (base64 or base64url)")
        String publicKey;

        @Override
        public Integer call() {
            AdminCli cli = parent.cli;
            String urlKey = publicKey.strip().replace('+', '-').replace('/', '_');
            AdminClient.Answer<AdminApi.EvictedPeer> answer = cli.client().send("DELETE",
                    locationPath(location) + "/peers/" + AdminCli.path(urlKey), null, Argument.of(AdminApi.EvictedPeer.class));
            return cli.report(answer, answered -> "evicted " + answered.publicKey() + " from '" + location + "' (session " + answered.sessionId() + "): " + gateways(answered.gateways()));
        }
    }
}
