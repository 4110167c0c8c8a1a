package dev.portcullis.compliance.evidence;

import java.util.List;

/** An external command as it was run: its argument vector, exit code (-1: killed at its timeout) and output. */
public record CommandResult(List<String> command, int exitCode, String output) {

    public CommandResult {
        command = List.copyOf(command);
    }

    public String commandLine() {
        return String.join(" ", command);
    }
}
