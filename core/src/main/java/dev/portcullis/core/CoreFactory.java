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
import dev.portcullis.core.link.RefusedUpdateException;
import dev.portcullis.core.location.Admissions;
import dev.portcullis.core.location.GatewayLinks;
import dev.portcullis.core.location.GatewayReports;
import dev.portcullis.core.location.LocationStore;
import dev.portcullis.core.location.UpdateOrder;
import dev.portcullis.core.link.SupervisorSettings;
import dev.portcullis.core.publicapi.PublicApi;
import dev.portcullis.core.secretfile.OwnerOnlyFile;
import dev.portcullis.core.store.Database;
import dev.portcullis.pki.authority.CertificateAuthority;
import dev.portcullis.pki.authority.Sealer;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Wires core in the order its start-up needs: home directory, database (migrated), CA (restored
 * or created) and the master key's sealer, admin tokens (bootstrap on first start), locations,
 * registry, and the component links.
 * Everything marked {@code @Context} happens before the admin API opens its socket, so a refused
 * start never listens.
 */
@Factory
public class CoreFactory {

    /** Set to false to run core without component links (tests of the admin API alone). */
    public static final String LINKS_ENABLED = "portcullis.links.enabled";
    static final String ADMIN_TOKEN_FILE = "admin-token";
    static final String MASTER_KEY_FILE = "master.key";
    /** Gateway reports waiting to be written; a Hello per gateway (re)connect, so a few hundred is a storm. */
    static final int REPORT_QUEUE = 256;

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
    MasterKeyFile masterKeyFile(@Value("${portcullis.home}") String home,
                                @Value("${portcullis.master-key-file:}") String masterKeyFile) {
        return new MasterKeyFile(masterKeyFile.isBlank() ? homeDirectory(home).resolve(MASTER_KEY_FILE) : Path.of(masterKeyFile));
    }

    @Context
    CertificateAuthority certificateAuthority(Database database, Clock clock, MasterKeyFile masterKeyFile) {
        return CaBootstrap.loadOrCreate(database, masterKeyFile, clock);
    }

    /** Seals secrets at rest (session preshared keys). Takes the CA so the master key file exists and opens the CA. */
    @Context
    Sealer sealer(CertificateAuthority caRestoredWithThisKey, MasterKeyFile masterKeyFile) {
        return new Sealer(masterKeyFile.read());
    }

    @Context
    LocationStore locationStore(Database database, Sealer sealer) {
        return new LocationStore(database, sealer);
    }

    @Singleton
    UpdateOrder updateOrder() {
        return new UpdateOrder();
    }

    @Singleton
    Admissions admissions(Database database, LocationStore locations, GatewayLinks links, UpdateOrder order, Clock clock) {
        return new Admissions(database, locations, links, order, clock);
    }

    @Singleton
    GatewayReports gatewayReports(Database database, Clock clock) {
        ThreadPoolExecutor writer = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(REPORT_QUEUE), runnable -> {
                    Thread thread = new Thread(runnable, "gateway-reports");
                    thread.setDaemon(true);
                    return thread;
                });
        writer.allowCoreThreadTimeOut(true);
        return new GatewayReports(database, clock, writer);
    }

    /** On the first start this also creates the bootstrap admin token and shows it once (console only, never the log). */
    @Context
    AdminTokens adminTokens(Database database, Clock clock, @Value("${portcullis.home}") String home) {
        AdminTokens tokens = new AdminTokens(database, clock);
        AdminBootstrap.run(tokens, homeDirectory(home).resolve(ADMIN_TOKEN_FILE), System.out);
        return tokens;
    }

    @Context
    ComponentRegistry componentRegistry(Database database, CertificateAuthority ca, Clock clock, LocationStore locations,
                                        @Value("${portcullis.join-token-ttl:1h}") Duration joinTokenTtl) {
        try {
            return new ComponentRegistry(database, ca, clock, joinTokenTtl, locations);
        } catch (IllegalArgumentException e) {
            throw new StartupRefusedException("portcullis.join-token-ttl is " + joinTokenTtl + ": " + e.getMessage());
        }
    }

    @Singleton
    @Bean(preDestroy = "close")
    @Requires(property = LINKS_ENABLED, notEquals = "false")
    LinkSupervisor linkSupervisor(ComponentRegistry registry, CertificateAuthority ca, GatewayReports reports) {
        return new LinkSupervisor(registry, ca, new PublicApi(), SupervisorSettings.defaults(), reports);
    }

    @Singleton
    @Requires(property = LINKS_ENABLED, value = "false")
    LinkControl disabledLinks() {
        return LinkControl.disabled();
    }

    /** Without links no gateway can acknowledge anything: admissions are refused, evictions and ACLs stored. */
    @Singleton
    @Requires(property = LINKS_ENABLED, value = "false")
    GatewayLinks disabledGatewayLinks() {
        return (componentId, update) -> CompletableFuture.failedFuture(
                new RefusedUpdateException("component links are disabled in this core"));
    }

    private static Path homeDirectory(String home) {
        return OwnerOnlyFile.directory(Path.of(home).toAbsolutePath().normalize());
    }
}
