package dev.portcullis.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.core.admin.LinkControl;
import dev.portcullis.core.link.LinkSupervisor;
import dev.portcullis.core.secretfile.OwnerOnlyFile;
import dev.portcullis.core.store.TestPostgres;
import dev.portcullis.pki.authority.MasterKey;
import io.micronaut.context.ApplicationContext;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CoreMainTest {

    @TempDir
    Path home;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private CoreMain main(String... args) {
        return main(Map.of("portcullis.links.enabled", false), args);
    }

    private CoreMain main(Map<String, Object> overrides, String... args) {
        CoreMain main = new CoreMain(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), overrides);
        new CommandLine(main).parseArgs(args);
        return main;
    }

    private String databaseUrl() {
        TestPostgres.Connection db = TestPostgres.freshDatabase();
        return db.url() + "?user=" + db.user() + "&password=" + db.password();
    }

    @Test
    void coreStartsWithItsLinksOnLoopbackAndSaysWhereTheAdminApiListens() throws Exception {
        CoreMain main = main(Map.of(), "--home", home.toString(), "--admin-port", "-1", "--database-url", databaseUrl());

        Optional<ApplicationContext> context = main.start();
        try {
            assertThat(context).as(err.toString()).isPresent();
            assertThat(context.get().getBean(LinkControl.class)).isInstanceOf(SupervisedLinks.class);
            assertThat(context.get().getBean(LinkSupervisor.class).statuses()).isEmpty();
            String line = out.toString(StandardCharsets.UTF_8);
            assertThat(line).startsWith("portcullis core ").contains("admin API listening on http://127.0.0.1:");
            String url = line.replaceAll("(?s).*listening on (\\S+) .*", "$1");
            HttpResponse<String> health = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(url + "/healthz")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve("admin-token"))))
                    .isEqualTo("rw-------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve("master.key"))))
                    .isEqualTo("rw-------");
        } finally {
            context.ifPresent(ApplicationContext::close);
        }
    }

    @Test
    void wrongMasterKeyStopsCoreWithAClearMessageAndNoStackTrace() throws Exception {
        String database = databaseUrl();
        main("--home", home.toString(), "--admin-port", "-1", "--database-url", database).start()
                .orElseThrow().close();
        OwnerOnlyFile.write(home.resolve("master.key"), MasterKey.generate().bytes());
        out.reset();

        Optional<ApplicationContext> second = main("--home", home.toString(), "--admin-port", "-1", "--database-url", database).start();

        assertThat(second).isEmpty();
        String message = err.toString(StandardCharsets.UTF_8);
        assertThat(message).startsWith("portcullis core cannot start: the master key in " + home.resolve("master.key"))
                .contains("Restore the original master key file")
                .doesNotContain("\tat ").doesNotContain("Exception");
        assertThat(out.toString(StandardCharsets.UTF_8)).doesNotContain("listening");
    }

    @Test
    void adminBindOnWildcardIsRefusedBeforeAnythingStarts() {
        Optional<ApplicationContext> context = main("--home", home.toString(), "--admin-host", "0.0.0.0").start();

        assertThat(context).isEmpty();
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("refusing to bind the admin API to the wildcard address 0.0.0.0")
                .doesNotContain("\tat ");
        assertThat(home.resolve("pgdata")).doesNotExist();
    }

    @Test
    void outOfRangeJoinTokenLifetimeIsRefused() {
        Optional<ApplicationContext> context = main(Map.of("portcullis.links.enabled", false,
                "portcullis.join-token-ttl", "30d"), "--home", home.toString(), "--admin-port", "-1",
                "--database-url", databaseUrl()).start();

        assertThat(context).isEmpty();
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("portcullis.join-token-ttl is PT720H");
    }

    @Test
    void mailOptionsBecomeCoreSettings() {
        CoreMain main = main("--home", home.toString(), "--mail-outbox", "/var/spool/portcullis", "--mail-from",
                "vpn@example.com");

        assertThat(main.properties()).containsEntry("portcullis.mail.outbox", "/var/spool/portcullis")
                .containsEntry("portcullis.mail.from", "vpn@example.com");
        assertThat(main("--home", home.toString()).properties()).doesNotContainKey("portcullis.mail.outbox");
    }

    @Test
    void helpListsTheOptions() {
        StringBuilder help = new StringBuilder(new CommandLine(new CoreMain(System.out, System.err, Map.of())).getUsageMessage());

        assertThat(help).contains("--home").contains("--admin-host").contains("--admin-port").contains("--database-url")
                .contains("--mail-outbox").contains("--mail-from");
    }
}
