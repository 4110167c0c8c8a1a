package dev.portcullis.core.cli;

/** A failure the CLI reports as one readable line (exit code 1), never as a stack trace. */
final class CliFailure extends RuntimeException {

    private static final long serialVersionUID = 1L;

    CliFailure(String message) {
        super(message);
    }
}
