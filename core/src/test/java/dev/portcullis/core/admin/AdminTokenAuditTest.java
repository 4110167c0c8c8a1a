package dev.portcullis.core.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.core.audit.Actor;
import dev.portcullis.core.audit.AuditLog;
import dev.portcullis.core.audit.AuditRows;
import dev.portcullis.core.audit.SecurityEvents;
import dev.portcullis.core.error.BadRequestException;
import dev.portcullis.core.error.ConflictException;
import dev.portcullis.core.store.Database;
import dev.portcullis.core.store.TestPostgres;
import java.time.Clock;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Creating an admin token is recorded by name, by whoever created it; the token itself never is. */
class AdminTokenAuditTest {

    private final Database database = TestPostgres.freshDatabase().open();
    private final AuditLog log = AuditLog.start(database, Clock.systemUTC());
    private final AdminTokens tokens = new AdminTokens(database, Clock.systemUTC(), new SecurityEvents(log));

    @AfterEach
    void tearDown() {
        log.close();
        database.close();
    }

    @Test
    void aCreatedTokenIsRecordedByNameAndARefusedOneIsNot() {
        AdminToken created = tokens.create("ci", Actor.admin("bootstrap", "192.0.2.4"));

        assertThatThrownBy(() -> tokens.create("ci", Actor.admin("bootstrap", "192.0.2.4")))
                .isInstanceOf(ConflictException.class);
        assertThatThrownBy(() -> tokens.create("Not Valid", Actor.admin("bootstrap", "192.0.2.4")))
                .isInstanceOf(BadRequestException.class);

        AuditRows.Row row = AuditRows.single(database, log, "admin_token.created");
        assertThat(row.actor()).isEqualTo("admin:bootstrap");
        assertThat(row.source()).isEqualTo("192.0.2.4");
        assertThat(row.subject()).isEqualTo("admin_token:ci");
        assertThat(row.outcome()).isEqualTo("SUCCESS");
        assertThat(row.details()).isEmpty();

        String audit = AuditRows.allText(database, log);
        String secret = created.reveal().substring(created.reveal().lastIndexOf('.') + 1);
        assertThat(audit).doesNotContain(created.reveal()).doesNotContain(secret);
        for (String form : AuditRows.encodings(Base64.getUrlDecoder().decode(secret))) {
            assertThat(audit).doesNotContain(form);
        }
    }

    @Test
    void theBootstrapTokenIsRecordedAsCreatedByCoreOnlyOnTheFirstStart() {
        tokens.createBootstrapIfFirstStart(token -> { });
        tokens.createBootstrapIfFirstStart(token -> { });

        AuditRows.Row row = AuditRows.single(database, log, "admin_token.created");
        assertThat(row.actor()).isEqualTo("core");
        assertThat(row.subject()).isEqualTo("admin_token:bootstrap");
        assertThat(row.details()).containsEntry("bootstrap", "true");
    }

    @Test
    void aFailedBootstrapDeliveryLeavesNeitherTokenNorRecord() {
        assertThatThrownBy(() -> tokens.createBootstrapIfFirstStart(token -> {
            throw new IllegalStateException("console gone");
        })).hasMessageContaining("console gone");

        assertThat(AuditRows.of(database, log, "admin_token.created")).isEmpty();
    }
}
