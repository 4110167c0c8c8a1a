package dev.portcullis.compliance;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcullis.compliance.evidence.CommandResult;
import dev.portcullis.compliance.evidence.HttpAnswer;
import dev.portcullis.compliance.evidence.Listener;
import dev.portcullis.compliance.evidence.LiveDeployment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives the evidence suite ({@code dev.portcullis.compliance.evidence}) the same shared quickstart
 * deployment as the enrollment tests ({@link SharedEnrollmentDeployment}), as a public
 * {@link LiveDeployment}, and the kernel's socket table ({@link Sockets}). The deployment, its
 * resolver and {@link Sockets} are package-private; this is the one public seam to them.
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
        public long pid(String process) throws Exception {
            return deployment.quickstart.pid(process);
        }

        @Override
        public Path edgeState() {
            return deployment.edgeState();
        }

        @Override
        public int adminPort() {
            return deployment.quickstart.adminPort;
        }

        @Override
        public int edgePublicPort() {
            return deployment.quickstart.edgePublicPort;
        }

        @Override
        public Map<String, Integer> controlPorts() {
            return Map.of("edge-1", deployment.quickstart.edgeControlPort, "gateway-1", deployment.quickstart.gatewayControlPort);
        }

        @Override
        public Path work() {
            return deployment.work;
        }

        @Override
        public Path repositoryRoot() {
            return Artifacts.root();
        }

        @Override
        public String portcullisVersion() {
            return System.getProperty("portcullis.version", "0.1.0-SNAPSHOT");
        }

        @Override
        public Path evidenceDirectory(String scenario) throws Exception {
            return Browser.evidenceDirectory(scenario);
        }

        @Override
        public String neutralInvalidInviteBody() {
            return EnrollmentDeployment.INVALID_INVITE_BODY;
        }

        @Override
        public CommandResult admin(String... arguments) throws Exception {
            Quickstart.Result result = deployment.quickstart.admin(arguments);
            List<String> command = new ArrayList<>(List.of("bin/portcullis-admin"));
            command.addAll(List.of(arguments));
            return new CommandResult(command, result.exitCode(), result.output());
        }

        @Override
        public void addUser(String name, String email, String displayName) throws Exception {
            deployment.addUserViaApi(name, email, displayName);
        }

        @Override
        public String inviteToken(String user) throws Exception {
            return deployment.inviteViaApi(user).token();
        }

        @Override
        public HttpAnswer edgePost(String sourceAddress, String path, Object body, String... headerPairs) throws Exception {
            EdgeClient.Response response = deployment.edge(sourceAddress).postJson(path, body, headerPairs);
            return new HttpAnswer(response.status(), response.headers(), response.text());
        }

        @Override
        public String origin() {
            return deployment.origin;
        }

        @Override
        public long fileEvidence(String name, String sha256, String summary) throws Exception {
            AdminHttp.Reply filed = deployment.adminHttp().post("/api/v1/audit/evidence",
                    Map.of("name", name, "sha256", sha256, "summary", summary));
            if (filed.status() != 201) {
                throw new AssertionError("core refused to file the evidence report: " + filed.status() + " " + filed.body());
            }
            return filed.body().path("seq").asLong();
        }

        @Override
        public String auditRecord(long seq) throws Exception {
            for (JsonNode record : deployment.auditRecords()) {
                if ("record".equals(record.path("type").asText()) && record.path("seq").asLong() == seq) {
                    return record.toString();
                }
            }
            throw new AssertionError("no audit record " + seq);
        }
    }
}
