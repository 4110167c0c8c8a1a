package dev.portcullis.core.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * One real PostgreSQL per test JVM, started by core's own {@link EmbeddedPostgresServer} (so its
 * loopback-only, password-protected set-up is what every test runs against), with data under
 * the build directory. Each test gets a fresh database of its own.
 */
public final class TestPostgres {

    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static EmbeddedPostgresServer server;

    private TestPostgres() {
    }

    /** The shared server, started on first use and stopped when the JVM exits. */
    public static synchronized EmbeddedPostgresServer server() {
        if (server == null) {
            Path home = buildDirectory().resolve("test-postgres");
            deleteRecursively(home.resolve("pgdata"));
            deleteRecursively(home.resolve("db-password"));
            server = EmbeddedPostgresServer.start(home);
            EmbeddedPostgresServer started = server;
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "test-postgres-stop"));
        }
        return server;
    }

    /** A new, empty database on the shared server. */
    public static Connection freshDatabase() {
        String name = "test_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
        server().createDatabase(name);
        return new Connection(server().jdbcUrl(name), server().user(), server().password());
    }

    /** How to reach one test database. */
    public record Connection(String url, String user, String password) {

        public Database open() {
            return Database.external(url, user, password);
        }

        /** Micronaut properties pointing core at this database. */
        public Map<String, Object> properties() {
            return Map.of("portcullis.database.url", url, "portcullis.database.user", user,
                    "portcullis.database.password", password);
        }
    }

    /** {@code target-core/} (or whichever build directory this build uses): the parent of test-classes. */
    public static Path buildDirectory() {
        try {
            Path testClasses = Path.of(TestPostgres.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return testClasses.getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static void deleteRecursively(Path path) {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
