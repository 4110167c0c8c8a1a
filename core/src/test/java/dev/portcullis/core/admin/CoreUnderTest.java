package dev.portcullis.core.admin;

import dev.portcullis.core.component.ComponentRegistry;
import dev.portcullis.core.component.ComponentSettings;
import dev.portcullis.core.store.TestPostgres;
import dev.portcullis.pki.authority.CertificateAuthority;
import dev.portcullis.pki.cert.CertificateRequest;
import dev.portcullis.pki.cert.KeyPairs;
import dev.portcullis.pki.cert.PeerIdentity;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A real core admin API on a random loopback port, on a fresh database, with component links
 * replaced by {@link RecordingLinks}.
 */
public final class CoreUnderTest implements AutoCloseable {

    public final Path home;
    public final ApplicationContext context;
    public final EmbeddedServer server;
    private final HttpClient http = HttpClient.newHttpClient();

    private CoreUnderTest(Path home, ApplicationContext context, EmbeddedServer server) {
        this.home = home;
        this.context = context;
        this.server = server;
    }

    public static CoreUnderTest start() throws IOException {
        return start(Map.of());
    }

    public static CoreUnderTest start(Map<String, Object> extra) throws IOException {
        Path home = Files.createTempDirectory("portcullis-core-test");
        Map<String, Object> properties = new HashMap<>(properties(home));
        properties.putAll(extra);
        ApplicationContext context = ApplicationContext.builder().deduceEnvironment(false).properties(properties).start();
        try {
            EmbeddedServer server = context.getBean(EmbeddedServer.class).start();
            return new CoreUnderTest(home, context, server);
        } catch (RuntimeException e) {
            context.close();
            throw e;
        }
    }

    public static Map<String, Object> properties(Path home) {
        Map<String, Object> properties = new HashMap<>(TestPostgres.freshDatabase().properties());
        properties.put("portcullis.home", home.toString());
        properties.put("portcullis.admin.port", -1);
        properties.put("portcullis.links.enabled", false);
        properties.put("portcullis.test.recording-links", true);
        return properties;
    }

    public String url() {
        return server.getURL().toString();
    }

    public String bootstrapToken() throws IOException {
        return Files.readString(home.resolve("admin-token")).strip();
    }

    public RecordingLinks links() {
        return context.getBean(RecordingLinks.class);
    }

    public RecordingGatewayLinks gatewayLinks() {
        return context.getBean(RecordingGatewayLinks.class);
    }

    /** Registers a gateway serving {@code location} and records it as joined (core issued its certificate); returns its id. */
    public String adoptedGateway(String name, String location) {
        ComponentRegistry registry = context.getBean(ComponentRegistry.class);
        CertificateAuthority ca = context.getBean(CertificateAuthority.class);
        String id = registry.register(name, PeerIdentity.Role.GATEWAY, "127.0.0.1", 7443).componentId();
        registry.updateSettings(name, new ComponentSettings.Change(Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.of(location)));
        registry.certificateIssued(id, ca.issueComponent(CertificateRequest.create(KeyPairs.generate(), "component"),
                PeerIdentity.component(PeerIdentity.Role.GATEWAY, id), List.of("127.0.0.1"), Duration.ofDays(7)));
        return id;
    }

    public HttpResponse<String> call(String method, String path, String token, String json) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url() + path));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (json != null) {
            request.header("Content-Type", "application/json");
        }
        request.method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() {
        context.close();
    }
}
