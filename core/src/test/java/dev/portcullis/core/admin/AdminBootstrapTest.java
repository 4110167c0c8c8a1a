package dev.portcullis.core.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.core.store.Database;
import dev.portcullis.core.store.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import dev.portcullis.core.audit.AuditLog;
import dev.portcullis.core.audit.SecurityEvents;

class AdminBootstrapTest {

    @TempDir
    Path home;

    @Test
    void bootstrapTokenIsWrittenOwnerOnlyAndPrintedOnlyOnFirstStart() throws Exception {
        try (Database database = TestPostgres.freshDatabase().open();
             AuditLog log = AuditLog.start(database, Clock.systemUTC())) {
            AdminTokens tokens = new AdminTokens(database, Clock.systemUTC(), new SecurityEvents(log));
            Path tokenFile = home.resolve("admin-token");
            ByteArrayOutputStream firstConsole = new ByteArrayOutputStream();

            assertThat(AdminBootstrap.run(tokens, tokenFile, new PrintStream(firstConsole, true, StandardCharsets.UTF_8))).isTrue();

            String token = Files.readString(tokenFile).strip();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile))).isEqualTo("rw-------");
            assertThat(firstConsole.toString(StandardCharsets.UTF_8)).contains(token).contains(tokenFile.toString());
            assertThat(tokens.authenticate(token)).hasValueSatisfying(c -> assertThat(c.name()).isEqualTo("bootstrap"));

            ByteArrayOutputStream secondConsole = new ByteArrayOutputStream();
            assertThat(AdminBootstrap.run(tokens, tokenFile, new PrintStream(secondConsole, true, StandardCharsets.UTF_8))).isFalse();
            assertThat(secondConsole.size()).isZero();
            assertThat(Files.readString(tokenFile).strip()).isEqualTo(token);
        }
    }

    @Test
    void adminTokensAreStoredOnlyAsHashes() throws Exception {
        try (Database database = TestPostgres.freshDatabase().open();
             AuditLog log = AuditLog.start(database, Clock.systemUTC())) {
            AdminTokens tokens = new AdminTokens(database, Clock.systemUTC(), new SecurityEvents(log));
            AdminToken token = tokens.create("ci");

            String rows = database.inTransaction(c -> {
                try (var rs = c.createStatement().executeQuery("SELECT id, name, encode(token_hash, 'hex') FROM admin_tokens")) {
                    StringBuilder all = new StringBuilder();
                    while (rs.next()) {
                        all.append(rs.getString(1)).append(rs.getString(2)).append(rs.getString(3));
                    }
                    return all.toString();
                }
            });
            String secret = token.reveal().substring(token.reveal().lastIndexOf('.') + 1);
            assertThat(rows).contains(token.id()).doesNotContain(secret);
            assertThat(token.toString()).doesNotContain(secret);
        }
    }
}
