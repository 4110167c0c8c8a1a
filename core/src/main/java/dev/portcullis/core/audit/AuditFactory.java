package dev.portcullis.core.audit;

import dev.portcullis.core.error.StartupRefusedException;
import dev.portcullis.core.store.Database;
import dev.portcullis.pki.authority.Sealer;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;

/**
 * Wires the audit log into core: the log and its chainer, the signing key (created sealed on first
 * start; a key that does not open stops core before the admin API listens), the checkpointer
 * ({@code portcullis.audit.checkpoint-interval}, default 60 s), the exporter and retention.
 */
@Factory
public class AuditFactory {

    /** Configuration key of the checkpoint interval. */
    public static final String CHECKPOINT_INTERVAL = "portcullis.audit.checkpoint-interval";

    @Context
    @Bean(preDestroy = "close")
    AuditLog auditLog(Database database, Clock clock) {
        return AuditLog.start(database, clock);
    }

    /** Takes the Sealer, which CoreFactory only creates once the master key has opened the CA. */
    @Context
    AuditSigningKey auditSigningKey(Database database, Sealer sealer, Clock clock) {
        return AuditSigningKey.loadOrCreate(database, sealer, clock);
    }

    @Context
    @Bean(preDestroy = "close")
    AuditCheckpointer auditCheckpointer(Database database, AuditLog log, AuditSigningKey key, Clock clock,
                                        @Value("${" + CHECKPOINT_INTERVAL + ":60s}") Duration interval) {
        AuditCheckpointer checkpointer = new AuditCheckpointer(database, log, key, clock);
        try {
            return checkpointer.start(interval);
        } catch (IllegalArgumentException e) {
            checkpointer.close();
            throw new StartupRefusedException(CHECKPOINT_INTERVAL + " is " + interval + ": " + e.getMessage());
        }
    }

    @Singleton
    AuditExporter auditExporter(Database database) {
        return new AuditExporter(database);
    }

    @Singleton
    AuditRetention auditRetention(Database database, AuditLog log, AuditSigningKey key, Clock clock) {
        return new AuditRetention(database, log, key, clock);
    }
}
