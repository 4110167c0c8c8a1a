package dev.portcullis.compliance.evidence;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The outcome of one check: what it checks, the controls it evidences, PASS or FAIL with the
 * reason, when it ran, and the raw observations behind the verdict.
 */
public record Check(String id, String title, List<Control> controls, Result result, String reason,
                    String startedAt, String endedAt, List<Observation> observations) {

    /** A check passes or fails; there is no "skipped" an auditor would have to interpret. */
    public enum Result { PASS, FAIL }

    public Check {
        controls = List.copyOf(controls);
        observations = List.copyOf(observations);
    }

    public boolean passed() {
        return result == Result.PASS;
    }

    /** Starts the clock of a check; observations are added while it runs, then it ends in pass or fail. */
    public static Run start(String id, String title, Control... controls) {
        return new Run(id, title, List.of(controls), Instant.now());
    }

    /** A check while it runs. Not shared between threads. */
    public static final class Run {
        private final String id;
        private final String title;
        private final List<Control> controls;
        private final Instant started;
        private final List<Observation> observations = new ArrayList<>();

        private Run(String id, String title, List<Control> controls, Instant started) {
            this.id = id;
            this.title = title;
            this.controls = controls;
            this.started = started;
        }

        public Run observe(String what, String output) {
            observations.add(new Observation(what, output));
            return this;
        }

        public Run observe(CommandResult command) {
            return observe(command.commandLine(), "exit " + command.exitCode() + "\n" + command.output());
        }

        public Check pass(String reason) {
            return end(Result.PASS, reason);
        }

        public Check fail(String reason) {
            return end(Result.FAIL, reason);
        }

        /** A check never throws for a failing control: an unexpected error is a FAIL that says what went wrong. */
        public Check error(Exception e) {
            observe("error", e.toString());
            return fail("the check could not complete: " + e);
        }

        private Check end(Result result, String reason) {
            observations.add(new Observation("verdict", result + ": " + reason));
            return new Check(id, title, controls, result, reason, started.toString(), Instant.now().toString(),
                    observations);
        }
    }
}
