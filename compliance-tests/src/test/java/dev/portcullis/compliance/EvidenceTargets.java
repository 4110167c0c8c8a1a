package dev.portcullis.compliance;

import dev.portcullis.compliance.evidence.CommandResult;
import dev.portcullis.compliance.evidence.Listener;
import dev.portcullis.compliance.evidence.LiveDeployment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives the evidence package's own tests ({@code dev.portcullis.compliance.evidence}) the shared
 * quickstart deployment of the enrollment tests ({@link SharedEnrollmentDeployment}) as a public
 * {@link LiveDeployment}, and every check the kernel's socket table ({@link Sockets}). The
 * deployment, its resolver and {@link Sockets} are package-private; this is the one public seam to them.
 */
public final class EvidenceTargets implements ParameterResolver {

    private final SharedEnrollmentDeployment shared = new SharedEnrollmentDeployment();

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == LiveDeployment.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        // The shared resolver keeps one deployment in the root store whichever class asks first.
        return new Live((EnrollmentDeployment) shared.resolveParameter(parameter, context));
    }

    /** The process's listening TCP and bound UDP sockets, from /proc. */
    public static List<Listener> listening(long pid) throws Exception {
        List<Listener> listeners = new ArrayList<>();
        for (Sockets.Endpoint endpoint : Sockets.listening(pid)) {
            listeners.add(new Listener(endpoint.protocol(), endpoint.address(), endpoint.port()));
        }
        return listeners;
    }

    /** A condition a deadline poll waits for. */
    @FunctionalInterface
    public interface Condition {
        boolean holds() throws Exception;
    }

    /** The compliance tests' one deadline poll ({@link EnrollmentDeployment#await}), for the evidence package. */
    public static void await(String what, Duration timeout, Condition condition) throws Exception {
        EnrollmentDeployment.await(what, timeout, condition::holds);
    }

    /**
     * Waits (bounded) until a stand-in process listens on (or has bound) {@code port}; fails at once
     * if it exits first, with its {@code log} (null: none) in the message.
     */
    public static void awaitListening(Process process, int port, Duration timeout, Path log) throws Exception {
        await("the stand-in listening on " + port, timeout, () -> {
            if (!process.isAlive()) {
                throw new AssertionError("the stand-in exited with " + process.exitValue() + " before listening on " + port
                        + (log == null ? "" : ": " + java.nio.file.Files.readString(log)));
            }
            return listening(process.pid()).stream().anyMatch(l -> l.port() == port);
        });
    }

    private record Live(EnrollmentDeployment deployment) implements LiveDeployment {
        @Override
        public Path work() {
            return deployment.work;
        }

        @Override
        public CommandResult admin(String... arguments) throws Exception {
            Quickstart.Result result = deployment.quickstart.admin(arguments);
            List<String> command = new ArrayList<>(List.of("bin/portcullis-admin"));
            command.addAll(List.of(arguments));
            return new CommandResult(command, result.exitCode(), result.output());
        }
    }
}
