package dev.portcullis.compliance;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The artifacts that run outside the private zone must not be able to do what only core may:
 * this reads the shipped jars themselves, so a dependency slipping in through any route fails here
 * (the Maven enforcer rules in those modules catch it earlier, at dependency resolution).
 */
class ArtifactBoundaryTest {

    /** Each forbidden path prefix, with the one-line reason it is forbidden. */
    private record Rule(String prefix, String reason) {
    }

    private static final List<Rule> OUTSIDE_PRIVATE_ZONE = List.of(
            new Rule("org/postgresql/", "no JDBC driver: components hold no database and must not reach one"),
            new Rule("META-INF/services/java.sql.Driver", "no JDBC driver registration of any vendor"),
            new Rule("org/flywaydb/", "no Flyway: there is no schema outside core"),
            new Rule("com/zaxxer/hikari/", "no connection pool: no database access of any kind"),
            new Rule("io/zonky/", "no embedded database: no state at rest outside core"),
            new Rule("db/migration/", "no schema migrations: they describe core's private data"),
            new Rule("dev/portcullis/core/", "no core classes: components forward and enforce, core decides"),
            new Rule("dev/portcullis/pki/authority/", "no CA private key code path: only core signs certificates"));

    @ParameterizedTest(name = "{0} contains nothing reserved to core")
    @ValueSource(strings = {"edge-proxy", "gateway"})
    void componentArtifactsContainNothingReservedToCore(String module) throws IOException {
        List<String> violations = violations(Artifacts.jar(module));
        assertThat(violations).as("forbidden entries in the " + module + " artifact").isEmpty();
    }

    /** Proves the scan can fail: core's artifact legitimately holds all of these. */
    @Test
    void theScanFindsCoreOnlyCodeWhereItBelongs() throws IOException {
        List<String> found = violations(Artifacts.jar("core"));
        assertThat(found).anyMatch(v -> v.startsWith("org/postgresql/"))
                .anyMatch(v -> v.startsWith("org/flywaydb/"))
                .anyMatch(v -> v.startsWith("dev/portcullis/core/"))
                .anyMatch(v -> v.startsWith("dev/portcullis/pki/authority/"));
    }

    @ParameterizedTest(name = "{0} ships the component link and its own entry point")
    @ValueSource(strings = {"edge-proxy", "gateway"})
    void componentArtifactsAreRunnableComponents(String module) throws IOException {
        try (java.util.jar.JarFile jar = new java.util.jar.JarFile(Artifacts.jar(module).toFile())) {
            assertThat(jar.getEntry("dev/portcullis/protocol/link/ComponentLink.class")).isNotNull();
            assertThat(jar.getManifest()).isNotNull();
            assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class")).startsWith("dev.portcullis.");
        }
    }

    private static List<String> violations(Path jarPath) throws IOException {
        List<String> violations = new ArrayList<>();
        try (ZipFile jar = new ZipFile(jarPath.toFile())) {
            for (ZipEntry entry : Collections.list(jar.entries())) {
                for (Rule rule : OUTSIDE_PRIVATE_ZONE) {
                    if (entry.getName().startsWith(rule.prefix())) {
                        violations.add(entry.getName() + " (" + rule.reason() + ")");
                        break;
                    }
                }
            }
        }
        return violations;
    }
}
