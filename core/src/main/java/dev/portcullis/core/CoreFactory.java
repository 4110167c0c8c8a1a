package dev.portcullis.core;

import dev.portcullis.core.admin.AdminBindGuard;
import dev.portcullis.core.admin.AdminBootstrap;
import dev.portcullis.core.admin.AdminTokens;
import dev.portcullis.core.admin.LinkControl;
import dev.portcullis.core.ca.CaBootstrap;
import dev.portcullis.core.ca.MasterKeyFile;
import dev.portcullis.core.component.ComponentRegistry;
import dev.portcullis.core.error.StartupRefusedException;
import dev.portcullis.core.link.LinkSupervisor;
import dev.portcullis.core.link.SupervisorSettings;
import dev.portcullis.core.publicapi.PublicApi;
import dev.portcullis.core.secretfile.OwnerOnlyFile;
import dev.portcullis.core.store.Database;
import dev.portcullis.pki.authority.CertificateAuthority;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/**
 * Wires core in the order its start-up needs: home directory, database (migrated), CA (restored
 * or created), admin tokens (bootstrap on first start), registry, and the component links.
 * Everything marked {@code @Context} happens before the admin API opens its socket, so a refused
 * start never listens.
 */
@Factory
public class CoreFactory {

    /** Set to false to run core without component links (tests of the admin API alone). */
    public static final String LINKS_ENABLED = "portcullis.links.enabled";
    static final String ADMIN_TOKEN_FILE = "admin-token";
    static final String MASTER_KEY_FILE = "master.key";

    @Singleton
    Clock clock() {
        return Clock.systemUTC();
    }

    /** Takes the bind guard so that a refused admin address stops core before the database starts. */
    @Context
    @Bean(preDestroy = "close")
    Database database(AdminBindGuard adminAddressChecked,
                      @Value("${portcullis.home}") String home,
                      @Value("${portcullis.database.url:}") String url,
                      @Value("${portcullis.database.user:}") String user,
                      @Value("${portcullis.database.password:}") String password) {
        if (url.isBlank()) {
            return Database.embedded(homeDirectory(home));
        }
        return Database.external(url, user.isBlank() ? null : user, password.isBlank() ? null : password);
    }

    @Context
    CertificateAuthority certificateAuthority(Database database, Clock clock,
                                              @Value("${portcullis.home}") String home,
                                              @Value("${portcullis.master-key-file:}") String masterKeyFile) {
        Path keyFile = masterKeyFile.isBlank() ? homeDirectory(home).resolve(MASTER_KEY_FILE) : Path.of(masterKeyFile);
        return CaBootstrap.loadOrCreate(database, new MasterKeyFile(keyFile), clock);
    }

    /** On the first start this also creates the bootstrap admin token and shows it once (console only, never the log). */
    @Context
    AdminTokens adminTokens(Database database, Clock clock, @Value("${portcullis.home}") String home) {
        AdminTokens tokens = new AdminTokens(database, clock);
        AdminBootstrap.run(tokens, homeDirectory(home).resolve(ADMIN_TOKEN_FILE), System.out);
        return tokens;
    }

    @Context
    ComponentRegistry componentRegistry(Database database, CertificateAuthority ca, Clock clock,
                                        @Value("${portcullis.join-token-ttl:1h}") Duration joinTokenTtl) {
        try {
            return new ComponentRegistry(database, ca, clock, joinTokenTtl);
        } catch (IllegalArgumentException e) {
            throw new StartupRefusedException("portcullis.join-token-ttl is " + joinTokenTtl + ": " + e.getMessage());
        }
    }

    @Singleton
    @Bean(preDestroy = "close")
    @Requires(property = LINKS_ENABLED, notEquals = "false")
    LinkSupervisor linkSupervisor(ComponentRegistry registry, CertificateAuthority ca) {
        return new LinkSupervisor(registry, ca, new PublicApi(), SupervisorSettings.defaults());
    }

    @Singleton
    @Requires(property = LINKS_ENABLED, value = "false")
    LinkControl disabledLinks() {
        return LinkControl.disabled();
    }

    private static Path homeDirectory(String home) {
        return OwnerOnlyFile.directory(Path.of(home).toAbsolutePath().normalize());
    }
}
