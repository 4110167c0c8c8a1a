package dev.portcullis.core.cli;

import dev.portcullis.core.admin.AdminApi;
import io.micronaut.core.type.Argument;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code portcullis-admin user ...}: create, list, show, disable, enable, delete and invite users. */
@Command(name = "user", description = "Create, list, show, disable, enable, delete and invite users.",
        subcommands = {UserCommand.Add.class, UserCommand.ListUsers.class, UserCommand.Show.class, UserCommand.Disable.class,
                UserCommand.Enable.class, UserCommand.Delete.class, UserCommand.Invite.class,
                UserCommand.Unlock.class},
        footer = {"", "A new user is INVITED until they complete enrollment with an invite link "
                + "(portcullis-admin user invite NAME); then ACTIVE."})
final class UserCommand implements Runnable {

    @ParentCommand
    AdminCli cli;
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "missing subcommand (add, list, show, disable, enable, delete, invite, unlock)");
    }

    static String userPath(String name) {
        return "/api/v1/users/" + AdminCli.path(name);
    }

    static void printUsers(AdminCli cli, List<AdminApi.UserView> users) {
        Table table = new Table("NAME", "DISPLAY NAME", "EMAIL", "STATE", "GROUPS", "ENROLLED");
        for (AdminApi.UserView user : users) {
            table.row(user.name(), user.displayName(), user.email(), user.state(), String.join(",", user.groups()),
                    AdminCli.seconds(user.enrolledAt()));
        }
        table.print(cli.out);
    }

    @Command(name = "add", description = "Create a user (state INVITED). Then send them an invite: "
            + "portcullis-admin user invite NAME.")
    static final class Add implements Callable<Integer> {
        @ParentCommand
        UserCommand parent;
        @Parameters(paramLabel = "NAME", description = "login: lower-case letters, digits, '.', '_' or '-', e.g. alice")
        String name;
        @Option(names = "--email", required = true, paramLabel = "ADDRESS",
                description = "the user's e-mail address (password-reset links go there)")
        String email;
        @Option(names = "--display-name", paramLabel = "TEXT", description = "how the user is greeted (default: NAME)")
        String displayName;
        @Option(names = "--group", paramLabel = "GROUP", split = ",",
                description = "put the user in this existing group (repeatable or comma-separated)")
        List<String> groups;

        @Override
        public Integer call() {
            AdminCli cli = parent.cli;
            AdminClient.Answer<AdminApi.UserView> answer = cli.client().send("POST", "/api/v1/users",
                    new AdminApi.NewUser(name, email, displayName, groups), Argument.of(AdminApi.UserView.class));
            if (cli.json) {
                cli.out.println(answer.raw());
                return 0;
            }
            cli.out.println("created user '" + answer.body().name() + "' <" + answer.body().email() + ">, state "
                    + answer.body().state() + "; invite them with: portcullis-admin user invite " + answer.body().name());
            return 0;
        }
    }

    @Command(name = "list", description = "List users.")
    static final class ListUsers implements Callable<Integer> {
        @ParentCommand
        UserCommand parent;

        @Override
        public Integer call() {
            AdminCli cli = parent.cli;
            AdminClient.Answer<List<AdminApi.UserView>> answer = cli.client().get("/api/v1/users",
                    Argument.listOf(AdminApi.UserView.class));
            return cli.list(answer, "no users (add one: portcullis-admin user add NAME --email ADDRESS)", rows -> printUsers(cli, rows));
        }
    }

    @Command(name = "show", description = "Show a user: state, groups, factors in place, pending invite and devices.")
    static final class Show implements Callable<Integer> {
        @ParentCommand
        UserCommand parent;
        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            AdminCli cli = parent.cli;
            AdminClient.Answer<AdminApi.UserDetails> answer = cli.client().get(userPath(name),
                    Argument.of(AdminApi.UserDetails.class));
            if (cli.json) {
                cli.out.println(answer.raw());
                return 0;
            }
            AdminApi.UserDetails details = answer.body();
            AdminApi.UserView user = details.user();
            cli.out.println("user '" + user.name() + "' (" + user.displayName() + " <" + user.email() + ">), state "
                    + user.state() + (user.enrolledAt() == null ? "" : ", enrolled " + AdminCli.seconds(user.enrolledAt())));
            cli.out.println("groups: " + (user.groups().isEmpty() ? "none" : String.join(", ", user.groups())));
            cli.out.println("password: " + (details.passwordSet() ? "set" : "not set") + "; TOTP: "
                    + (details.totp() ? "yes" : "no") + "; security keys: " + details.webauthnCredentials()
                    + "; recovery codes left: " + details.recoveryCodesLeft());
            if (details.inviteExpiresAt() != null) {
                cli.out.println("pending invite expires " + AdminCli.seconds(details.inviteExpiresAt()));
            }
            if (details.devices().isEmpty()) {
                cli.out.println("no devices");
            } else {
                DeviceCommand.printDevices(cli, details.devices());
            }
            return 0;
        }
    }

    @Command(name = "disable", description = "Disable a user: pending invites are revoked, enrollment sessions end and "
            + "every tunnel session of their devices is evicted from the gateways.")
    static final class Disable implements Callable<Integer> {
        @ParentCommand
        UserCommand parent;
        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            AdminCli cli = parent.cli;
            AdminClient.Answer<AdminApi.UserView> answer = cli.client().send("POST", userPath(name) + "/disable", null,
                    Argument.of(AdminApi.UserView.class));
            return cli.report(answer, answered -> "disabled user '" + name + "'; their invites, sessions and tunnels ended");
        }
    }

    @Command(name = "enable", description = "Enable a disabled user again (ACTIVE if they had enrolled, else INVITED: "
            + "send a new invite).")
    static final class Enable implements Callable<Integer> {
        @ParentCommand
        UserCommand parent;
        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            AdminCli cli = parent.cli;
            AdminClient.Answer<AdminApi.UserView> answer = cli.client().send("POST", userPath(name) + "/enable", null,
                    Argument.of(AdminApi.UserView.class));
            return cli.report(answer, answered -> "user '" + name + "' is " + answered.state());
        }
    }

    @Command(name = "delete", description = "Delete a user with their devices (and tunnel addresses), second factors, "
            + "invites and sessions; their tunnel sessions are evicted.")
    static final class Delete implements Callable<Integer> {
        @ParentCommand
        UserCommand parent;
        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            AdminCli cli = parent.cli;
            AdminClient.Answer<AdminApi.UserView> answer = cli.client().send("DELETE", userPath(name), null,
                    Argument.of(AdminApi.UserView.class));
            return cli.report(answer, answered -> "deleted user '" + name + "' and their devices");
        }
    }

    @Command(name = "unlock", description = "Lift a user's tunnel-MFA lockout after too many failed second factors, "
            + "and their devices' (source addresses keep their own counts).")
    static final class Unlock implements Callable<Integer> {
        @ParentCommand
        UserCommand parent;
        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            AdminCli cli = parent.cli;
            AdminClient.Answer<AdminApi.UserUnlocked> answer = cli.client().send("POST", userPath(name) + "/unlock", null,
                    Argument.of(AdminApi.UserUnlocked.class));
            return cli.report(answer, u -> u.wasLocked() ? "unlocked user '" + u.user() + "': they may try MFA again now"
                    : u.hadFailures() ? "user '" + u.user() + "' was not locked; their failed attempts were cleared"
                    : "user '" + u.user() + "' was not locked and had no failed attempts");
        }
    }

    @Command(name = "invite", description = "Invite a user to enroll: prints a one-time link (shown once). A new invite "
            + "makes the user's earlier links stop working.",
            footer = {"", "The link points at the edge-proxy's public origin and carries the pin of its TLS certificate "
                    + "(#ca=...). Set the origin first: portcullis-admin component set EDGE --public-origin https://..."})
    static final class Invite implements Callable<Integer> {
        @ParentCommand
        UserCommand parent;
        @Parameters(paramLabel = "NAME")
        String name;
        @Option(names = "--expires", paramLabel = "DURATION",
                description = "how long the link works: 1h to 7d, e.g. 4h or 2d (default 24h)")
        String expires;
        @Option(names = "--via", paramLabel = "EDGE-PROXY",
                description = "the edge-proxy the link points at (default: the only one with a public origin)")
        String via;
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            AdminCli cli = parent.cli;
            Long seconds = expires == null ? null : PeerCommand.duration(expires, "--expires", spec.commandLine()).toSeconds();
            AdminClient.Answer<AdminApi.InviteIssued> answer = cli.client().send("POST", userPath(name) + "/invites",
                    new AdminApi.NewInvite(seconds, via), Argument.of(AdminApi.InviteIssued.class));
            if (cli.json) {
                cli.out.println(answer.raw());
                return 0;
            }
            AdminApi.InviteIssued invite = answer.body();
            cli.out.println("invite for '" + invite.user() + "' via edge-proxy '" + invite.edgeProxy() + "', single use, expires "
                    + AdminCli.seconds(invite.expiresAt()) + ":");
            cli.out.println();
            cli.out.println("    " + invite.link());
            cli.out.println();
            cli.out.println("This link is shown once: send it to " + invite.user() + " only, over a channel you trust. "
                    + "Earlier invites for " + invite.user() + " no longer work.");
            return 0;
        }
    }
}
