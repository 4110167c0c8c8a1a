package dev.portcullis.agent;

import dev.portcullis.agent.enroll.DeviceName;
import dev.portcullis.agent.enroll.Enrollment;
import dev.portcullis.agent.enroll.Password;
import dev.portcullis.agent.outcome.AgentFailure;
import dev.portcullis.agent.outcome.ExitCode;
import dev.portcullis.agent.state.EnrollmentRecord;
import dev.portcullis.agent.state.StateDirectory;
import dev.portcullis.agent.terminal.Output;
import dev.portcullis.pki.enroll.InviteLink;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code portcullis-agent enroll [LINK]}: the whole enrollment from a terminal. */
@Command(name = "enroll", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        description = {
            "Enrolls this device with a one-time invite link: sets your password, registers an authenticator app "
                    + "(TOTP), shows your recovery codes, generates this device's keys and registers the device.",
            "Only the proxy whose certificate matches the link's #ca= pin is trusted; nothing else.",
            "A location that requires a security key (WebAuthn) needs a browser instead (exit code 3).",
            "Without a console (stdin is a pipe), answers are read one per line: password, password again, TOTP code."})
final class EnrollCommand implements Callable<Integer> {

    @ParentCommand
    AgentMain agent;

    @Parameters(arity = "0..1", paramLabel = "INVITE_LINK",
            description = "https://<host>/enroll/<token>#ca=<pin>. Quote it in the shell. If omitted it is asked for, "
                    + "which keeps it out of the shell history and the process list.")
    String link;

    @Option(names = "--device-name", paramLabel = "NAME",
            description = "Name of this device (default: this host's name). 1-63 letters, digits, spaces, '.', '-' or '_'.")
    String deviceName;

    @Option(names = "--password-file", paramLabel = "FILE",
            description = "Read the new password from the first line of FILE (which must not be readable by others) "
                    + "instead of asking.")
    Path passwordFile;

    @Option(names = "--force", description = "Enroll even though this device is already enrolled: replaces its keys.")
    boolean force;

    @Override
    public Integer call() {
        Output output = agent.output();
        InviteLink invite = parse(link != null ? link : agent.terminal().readLine("Invite link: "));
        String name = deviceName != null ? DeviceName.checked(deviceName) : DeviceName.forThisHost();
        Password password = passwordFile != null ? Password.fromFile(passwordFile) : null;
        StateDirectory state = agent.stateDirectory();
        EnrollmentRecord record = new Enrollment(invite, name, password, force, state, agent.terminal(), output, agent.clock()).run();
        if (!output.json()) {
            output.say("");
            output.say("This device is enrolled.");
        }
        Summary.show(record, state, output);
        return ExitCode.OK.code();
    }

    private static InviteLink parse(String text) {
        try {
            return InviteLink.parse(text);
        } catch (IllegalArgumentException e) {
            throw AgentFailure.usage(e.getMessage());
        }
    }
}
