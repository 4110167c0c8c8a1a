package dev.portcullis.core.cli;

import dev.portcullis.core.admin.AdminApi;
import io.micronaut.core.type.Argument;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code portcullis-admin device ...}: users' devices. */
@Command(name = "device", description = "List, rename, disable, enable and delete users' devices. Disabling or deleting "
        + "a device ends its tunnel sessions at every location at once.",
        subcommands = {DeviceCommand.ListDevices.class, DeviceCommand.Rename.class, DeviceCommand.Disable.class,
                DeviceCommand.Enable.class, DeviceCommand.Delete.class})
final class DeviceCommand implements Runnable {

    @ParentCommand
    AdminCli cli;
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (list, rename, disable, enable, delete)");
    }

    static String devicePath(String user, String device) {
        return "/api/v1/devices/" + AdminCli.path(user) + "/" + AdminCli.path(device);
    }

    static void printDevices(AdminCli cli, List<AdminApi.DeviceView> devices) {
        Table table = new Table("USER", "DEVICE", "KIND", "STATE", "PUBLIC KEY", "ADDRESSES", "CREATED");
        for (AdminApi.DeviceView d : devices) {
            table.row(d.user(), d.name(), d.kind(), d.state(), d.publicKey(), addresses(d.addresses()),
                    AdminCli.seconds(d.createdAt()));
        }
        table.print(cli.out);
    }

    private static String addresses(Map<String, String> addresses) {
        return String.join(", ", addresses.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
    }

    @Command(name = "list", description = "List devices, of every user or of one.")
    static final class ListDevices implements Callable<Integer> {
        @ParentCommand
        DeviceCommand parent;
        @Option(names = "--user", paramLabel = "USER", description = "only this user's devices")
        String user;

        @Override
        public Integer call() {
            AdminCli cli = parent.cli;
            AdminClient.Answer<List<AdminApi.DeviceView>> answer = cli.client().get("/api/v1/devices"
                    + (user == null ? "" : "?user=" + AdminCli.path(user)), Argument.listOf(AdminApi.DeviceView.class));
            return cli.list(answer, user == null ? "no devices registered" : "user '" + user + "' has no devices", rows -> printDevices(cli, rows));
        }
    }

    @Command(name = "rename", description = "Rename USER's device DEVICE to NEW-NAME.")
    static final class Rename implements Callable<Integer> {
        @ParentCommand
        DeviceCommand parent;
        @Parameters(index = "0", paramLabel = "USER")
        String user;
        @Parameters(index = "1", paramLabel = "DEVICE")
        String device;
        @Parameters(index = "2", paramLabel = "NEW-NAME", description = "letters, digits, spaces, '.', '_' or '-'")
        String newName;

        @Override
        public Integer call() {
            AdminCli cli = parent.cli;
            AdminClient.Answer<AdminApi.DeviceView> answer = cli.client().send("PUT", devicePath(user, device) + "/name",
                    new AdminApi.DeviceRename(newName), Argument.of(AdminApi.DeviceView.class));
            return cli.report(answer, answered -> "renamed " + user + "'s device '" + device + "' to '" + answered.name() + "'");
        }
    }

    @Command(name = "disable", description = "Disable USER's device DEVICE: it can start no tunnel session, and its current "
            + "sessions are evicted from every gateway.")
    static final class Disable implements Callable<Integer> {
        @ParentCommand
        DeviceCommand parent;
        @Parameters(index = "0", paramLabel = "USER")
        String user;
        @Parameters(index = "1", paramLabel = "DEVICE")
        String device;

        @Override
        public Integer call() {
            AdminCli cli = parent.cli;
            AdminClient.Answer<AdminApi.DeviceView> answer = cli.client().send("POST", devicePath(user, device) + "/disable",
                    null, Argument.of(AdminApi.DeviceView.class));
            return cli.report(answer, answered -> "disabled " + user + "'s device '" + device + "'; its tunnel sessions ended");
        }
    }

    @Command(name = "enable", description = "Enable USER's disabled device DEVICE again.")
    static final class Enable implements Callable<Integer> {
        @ParentCommand
        DeviceCommand parent;
        @Parameters(index = "0", paramLabel = "USER")
        String user;
        @Parameters(index = "1", paramLabel = "DEVICE")
        String device;

        @Override
        public Integer call() {
            AdminCli cli = parent.cli;
            AdminClient.Answer<AdminApi.DeviceView> answer = cli.client().send("POST", devicePath(user, device) + "/enable",
                    null, Argument.of(AdminApi.DeviceView.class));
            return cli.report(answer, answered -> "enabled " + user + "'s device '" + device + "'");
        }
    }

    @Command(name = "delete", description = "Delete USER's device DEVICE and its tunnel addresses; its tunnel sessions are "
            + "evicted from every gateway.")
    static final class Delete implements Callable<Integer> {
        @ParentCommand
        DeviceCommand parent;
        @Parameters(index = "0", paramLabel = "USER")
        String user;
        @Parameters(index = "1", paramLabel = "DEVICE")
        String device;

        @Override
        public Integer call() {
            AdminCli cli = parent.cli;
            AdminClient.Answer<AdminApi.DeviceView> answer = cli.client().send("DELETE", devicePath(user, device), null,
                    Argument.of(AdminApi.DeviceView.class));
            return cli.report(answer, answered -> "deleted " + user + "'s device '" + device + "'");
        }
    }
}
