package dev.portcullis.core.cli;

import dev.portcullis.core.admin.AdminApi;
import io.micronaut.core.type.Argument;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code portcullis-admin group ...}: groups of users; locations may be restricted to groups. */
@Command(name = "group", description = "Create, list and delete groups of users, and manage their members. "
        + "A location restricted to groups (location add --group) is reachable by their members only.",
        subcommands = {GroupCommand.Add.class, GroupCommand.ListGroups.class, GroupCommand.Delete.class,
                GroupCommand.Member.class})
final class GroupCommand implements Runnable {

    @ParentCommand
    AdminCli cli;
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (add, list, delete, member)");
    }

    static String groupPath(String name) {
        return "/api/v1/groups/" + AdminCli.path(name);
    }

    @Command(name = "add", description = "Create a group.")
    static final class Add implements Callable<Integer> {
        @ParentCommand
        GroupCommand parent;
        @Parameters(paramLabel = "NAME", description = "lower-case letters, digits, '.', '_' or '-', e.g. engineering")
        String name;

        @Override
        public Integer call() {
            AdminCli cli = parent.cli;
            AdminClient.Answer<AdminApi.GroupView> answer = cli.client().send("POST", "/api/v1/groups",
                    new AdminApi.NewGroup(name), Argument.of(AdminApi.GroupView.class));
            return cli.report(answer, answered -> "created group '" + answered.name() + "'");
        }
    }

    @Command(name = "list", description = "List groups and their members.")
    static final class ListGroups implements Callable<Integer> {
        @ParentCommand
        GroupCommand parent;

        @Override
        public Integer call() {
            AdminCli cli = parent.cli;
            AdminClient.Answer<List<AdminApi.GroupView>> answer = cli.client().get("/api/v1/groups",
                    Argument.listOf(AdminApi.GroupView.class));
            return cli.list(answer, "no groups (add one: portcullis-admin group add NAME)", rows -> {
                Table table = new Table("NAME", "MEMBERS");
                for (AdminApi.GroupView group : rows) {
                    table.row(group.name(), String.join(", ", group.members()));
                }
                table.print(cli.out);
            });
        }
    }

    @Command(name = "delete", description = "Delete a group (its members stay). A group that decides who may reach a "
            + "location cannot be deleted.")
    static final class Delete implements Callable<Integer> {
        @ParentCommand
        GroupCommand parent;
        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            AdminCli cli = parent.cli;
            AdminClient.Answer<AdminApi.GroupView> answer = cli.client().send("DELETE", groupPath(name), null,
                    Argument.of(AdminApi.GroupView.class));
            return cli.report(answer, answered -> "deleted group '" + name + "'");
        }
    }

    @Command(name = "member", description = "Add users to a group or remove them.",
            subcommands = {Member.AddMember.class, Member.RemoveMember.class})
    static final class Member implements Runnable {
        @ParentCommand
        GroupCommand parent;
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (add, remove)");
        }

        @Command(name = "add", description = "Add USER to GROUP.")
        static final class AddMember implements Callable<Integer> {
            @ParentCommand
            Member parent;
            @Parameters(index = "0", paramLabel = "GROUP")
            String group;
            @Parameters(index = "1", paramLabel = "USER")
            String user;

            @Override
            public Integer call() {
                AdminCli cli = parent.parent.cli;
                AdminClient.Answer<AdminApi.GroupView> answer = cli.client().send("PUT",
                        groupPath(group) + "/members/" + AdminCli.path(user), null, Argument.of(AdminApi.GroupView.class));
                return cli.report(answer, answered -> "group '" + group + "': " + String.join(", ", answered.members()));
            }
        }

        @Command(name = "remove", description = "Remove USER from GROUP.")
        static final class RemoveMember implements Callable<Integer> {
            @ParentCommand
            Member parent;
            @Parameters(index = "0", paramLabel = "GROUP")
            String group;
            @Parameters(index = "1", paramLabel = "USER")
            String user;

            @Override
            public Integer call() {
                AdminCli cli = parent.parent.cli;
                AdminClient.Answer<AdminApi.GroupView> answer = cli.client().send("DELETE",
                        groupPath(group) + "/members/" + AdminCli.path(user), null, Argument.of(AdminApi.GroupView.class));
                return cli.report(answer, answered -> "removed '" + user + "' from group '" + group + "'");
            }
        }
    }
}
