package dev.portcullis.core.cli;

import dev.portcullis.core.admin.AdminApi;
import io.micronaut.core.type.Argument;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code portcullis-admin session ...}: list live tunnel sessions and revoke one. */
@Command(name = "session", description = "List live tunnel sessions (devices admitted after MFA) and revoke them.",
        subcommands = {SessionCommand.ListSessions.class, SessionCommand.Revoke.class})
final class SessionCommand implements Runnable {

    @ParentCommand
    AdminCli cli;
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (list, revoke)");
    }

    @Command(name = "list", description = "List live tunnel sessions, newest first.")
    static final class ListSessions implements Callable<Integer> {
        @ParentCommand
        SessionCommand parent;
        @Option(names = "--location", paramLabel = "LOCATION", description = "only sessions at this location")
        String location;
        @Option(names = "--user", paramLabel = "USER", description = "only sessions of this user (login)")
        String user;

        @Override
        public Integer call() {
            AdminCli cli = parent.cli;
            List<String> query = new ArrayList<>();
            if (location != null) {
                query.add("location=" + AdminCli.path(location));
            }
            if (user != null) {
                query.add("user=" + AdminCli.path(user));
            }
            AdminClient.Answer<List<AdminApi.SessionView>> answer = cli.client().get(
                    "/api/v1/sessions" + (query.isEmpty() ? "" : "?" + String.join("&", query)),
                    Argument.listOf(AdminApi.SessionView.class));
            return cli.list(answer, "no live tunnel sessions", rows -> {
                Table table = new Table("ID", "LOCATION", "USER", "DEVICE", "METHOD", "STARTED", "NOT AFTER", "LAST HANDSHAKE",
                        "ENDPOINT");
                for (AdminApi.SessionView s : rows) {
                    table.row(s.id(), s.location(), s.user(), s.device(), s.method(), AdminCli.seconds(s.startedAt()),
                            AdminCli.seconds(s.notAfter()), s.lastHandshake() == null ? "never" : AdminCli.seconds(s.lastHandshake()),
                            s.endpoint() == null ? "-" : s.endpoint());
                }
                table.print(cli.out);
            });
        }
    }

    @Command(name = "revoke", description = "End a tunnel session now: its device is evicted from every gateway of the "
            + "location and must pass MFA again.")
    static final class Revoke implements Callable<Integer> {
        @ParentCommand
        SessionCommand parent;
        @Parameters(paramLabel = "ID", description = "the session id (22 characters, from session list)")
        String id;

        @Override
        public Integer call() {
            AdminCli cli = parent.cli;
            AdminClient.Answer<AdminApi.SessionView> answer = cli.client().send("DELETE", "/api/v1/sessions/" + AdminCli.path(id),
                    null, Argument.of(AdminApi.SessionView.class));
            return cli.report(answer, s -> "revoked session " + s.id() + " of " + s.user() + "/" + s.device() + " at location '"
                    + s.location() + "'; the device must pass MFA again");
        }
    }
}
