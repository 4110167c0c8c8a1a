package dev.portcullis.core.cli;

import dev.portcullis.core.admin.AdminApi;
import io.micronaut.core.type.Argument;
import io.micronaut.serde.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code portcullis-admin acl ...}: show and replace a location's ACL. */
@Command(name = "acl", description = "Show and replace a location's ACL (default deny: only what a rule allows passes).",
        subcommands = {AclCommand.Set.class, AclCommand.Show.class})
final class AclCommand implements Runnable {

    /** A policy at its rule limit is well under this; a larger file is the wrong file. */
    static final long MAX_POLICY_FILE_BYTES = 4L * 1024 * 1024;

    @ParentCommand
    AdminCli cli;
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (set, show)");
    }

    static void print(AdminCli cli, AdminApi.AclView acl) {
        cli.out.println("location '" + acl.location() + "': ACL revision " + acl.revision()
                + (acl.updatedAt() == null ? " (never set: everything is denied)" : ", updated " + AdminCli.seconds(acl.updatedAt())));
        if (!acl.rules().isEmpty()) {
            Table table = new Table("#", "SOURCES", "DESTINATIONS", "PROTOCOL", "PORTS");
            int i = 1;
            for (AdminApi.AclRule rule : acl.rules()) {
                table.row(Integer.toString(i++), String.join(",", rule.sources()), String.join(",", rule.destinations()),
                        rule.protocol(), rule.ports().isEmpty() ? "all" : String.join(",", rule.ports()));
            }
            table.print(cli.out);
        }
        if (!acl.masqueradeDestinations().isEmpty()) {
            cli.out.println("masquerade towards: " + String.join(", ", acl.masqueradeDestinations()));
        }
        if (acl.gateways() != null) {
            cli.out.println("gateways: " + PeerCommand.gateways(acl.gateways()));
        }
    }

    @Command(name = "set", description = "Replace LOCATION's ACL with the policy in a JSON file: "
            + "{\"rules\": [{\"sources\": [..], \"destinations\": [..], \"protocol\": \"tcp\", \"ports\": [\"443\"]}], "
            + "\"masqueradeDestinations\": [..]}")
    static final class Set implements Callable<Integer> {
        @ParentCommand
        AclCommand parent;
        @Parameters(paramLabel = "LOCATION")
        String location;
        @Option(names = "--file", paramLabel = "FILE", required = true, description = "the policy (JSON)")
        Path file;

        @Override
        public Integer call() {
            AdminCli cli = parent.cli;
            AdminApi.Acl policy = read(file);
            AdminClient.Answer<AdminApi.AclView> answer = cli.client().send("PUT", PeerCommand.locationPath(location) + "/acl",
                    policy, Argument.of(AdminApi.AclView.class));
            if (cli.json) {
                cli.out.println(answer.raw());
            } else {
                print(cli, answer.body());
            }
            return 0;
        }

        private static AdminApi.Acl read(Path file) {
            try {
                if (!Files.isRegularFile(file) || Files.size(file) > MAX_POLICY_FILE_BYTES) {
                    throw new CliFailure("cannot use " + file + ": not a file of at most " + MAX_POLICY_FILE_BYTES + " bytes");
                }
                AdminApi.Acl policy = ObjectMapper.getDefault().readValue(Files.readAllBytes(file), AdminApi.Acl.class);
                if (policy == null) {
                    throw new CliFailure(file + " holds no policy");
                }
                return policy;
            } catch (IOException e) {
                throw new CliFailure("cannot read the policy in " + file + ": it must be JSON like "
                        + "{\"rules\": [...], \"masqueradeDestinations\": [...]}");
            }
        }
    }

    @Command(name = "show", description = "Show LOCATION's ACL.")
    static final class Show implements Callable<Integer> {
        @ParentCommand
        AclCommand parent;
        @Parameters(paramLabel = "LOCATION")
        String location;

        @Override
        public Integer call() {
            AdminCli cli = parent.cli;
            AdminClient.Answer<AdminApi.AclView> answer = cli.client().get(PeerCommand.locationPath(location) + "/acl",
                    Argument.of(AdminApi.AclView.class));
            if (cli.json) {
                cli.out.println(answer.raw());
            } else {
                print(cli, answer.body());
            }
            return 0;
        }
    }
}
