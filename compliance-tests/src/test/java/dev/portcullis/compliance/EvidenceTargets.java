package dev.portcullis.compliance;

import dev.portcullis.compliance.evidence.CommandResult;
import dev.portcullis.compliance.evidence.Listener;
import dev.portcullis.compliance.evidence.LiveDeployment;
import java.nio.file.Path;
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
