package dev.portcullis.core;

import dev.portcullis.core.admin.AdminBindGuard;
import dev.portcullis.core.admin.AdminBootstrap;
import dev.portcullis.core.admin.AdminTokens;
import dev.portcullis.core.admin.LinkControl;
import dev.portcullis.core.audit.AuditLog;
import dev.portcullis.core.audit.SecurityEvents;
import dev.portcullis.core.ca.CaBootstrap;
import dev.portcullis.core.ca.MasterKeyFile;
import dev.portcullis.core.component.ComponentRegistry;
import dev.portcullis.core.component.EdgeProxyReports;
import dev.portcullis.core.enroll.EnrollmentEndpoints;
import dev.portcullis.core.identity.Devices;
import dev.portcullis.core.identity.Groups;
import dev.portcullis.core.identity.TunnelEvictions;
import dev.portcullis.core.identity.Users;
import dev.portcullis.core.invite.Invites;
import dev.portcullis.core.link.ComponentReports;
import dev.portcullis.core.error.StartupRefusedException;
import dev.portcullis.core.link.LinkSupervisor;
import dev.portcullis.core.link.RefusedUpdateException;
import dev.portcullis.core.location.Admissions;
import dev.portcullis.core.location.GatewayLinks;
import dev.portcullis.core.location.GatewayReports;
import dev.portcullis.core.location.LocationStore;
import dev.portcullis.core.location.Locations;
import dev.portcullis.core.mail.MailSender;
import dev.portcullis.core.mail.OutboxMailSender;
import dev.portcullis.core.location.UpdateOrder;
import dev.portcullis.core.link.SupervisorSettings;
import dev.portcullis.core.publicapi.PublicApi;
import dev.portcullis.core.tunnel.TunnelEndpoints;
import dev.portcullis.core.secretfile.OwnerOnlyFile;
import dev.portcullis.core.store.Database;
import dev.portcullis.pki.authority.CertificateAuthority;
import dev.portcullis.pki.authority.Sealer;
import io.micronaut.context.BeanProvider;
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
    /** Edge-proxy Hellos waiting to be written: one per proxy (re)connect; there are a handful of proxies. */
    static final int EDGE_REPORT_QUEUE = 64;
    /**
     * Password-reset requests waiting for their lookup and mail. Each is a query and a file write;
     * beyond a hundred queued, more are dropped (the requester still gets the same 202) rather than
     * letting a flood of requests grow core's memory.
     */
    static final int RESET_MAIL_QUEUE = 100;
    static final String OUTBOX_DIRECTORY = "outbox";

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
    Admissions admissions(Database database, LocationStore locations, GatewayLinks links, UpdateOrder order, Clock clock,
                          SecurityEvents events) {
        return new Admissions(database, locations, links, order, clock, events);
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
    AdminTokens adminTokens(Database database, Clock clock, SecurityEvents events, @Value("${portcullis.home}") String home) {
        AdminTokens tokens = new AdminTokens(database, clock, events);
        AdminBootstrap.run(tokens, homeDirectory(home).resolve(ADMIN_TOKEN_FILE), System.out);
        return tokens;
    }

    @Context
    ComponentRegistry componentRegistry(Database database, CertificateAuthority ca, Clock clock, LocationStore locations,
                                        SecurityEvents events,
                                        @Value("${portcullis.join-token-ttl:1h}") Duration joinTokenTtl) {
        try {
            return new ComponentRegistry(database, ca, clock, joinTokenTtl, locations, events);
        } catch (IllegalArgumentException e) {
            throw new StartupRefusedException("portcullis.join-token-ttl is " + joinTokenTtl + ": " + e.getMessage());
        }
    }

    @Singleton
    EdgeProxyReports edgeProxyReports(Database database, Clock clock) {
        return new EdgeProxyReports(database, clock, singleThread("edge-proxy-reports", EDGE_REPORT_QUEUE));
    }

    @Singleton
    SecurityEvents securityEvents(AuditLog auditLog) {
        return new SecurityEvents(auditLog);
    }

    @Singleton
    Locations locations(Database database, Clock clock, SecurityEvents events) {
        return new Locations(database, clock, events);
    }

    @Singleton
    TunnelEvictions tunnelEvictions(LocationStore store, Admissions admissions, Clock clock, SecurityEvents events) {
        return new TunnelEvictions(store, admissions, clock, events);
    }

    @Singleton
    Users users(Database database, Clock clock, SecurityEvents events, TunnelEvictions evictions) {
        return new Users(database, clock, events, evictions);
    }

    @Singleton
    Groups groups(Database database, Clock clock, SecurityEvents events) {
        return new Groups(database, clock, events);
    }

    @Singleton
    Devices devices(Database database, Clock clock, SecurityEvents events, TunnelEvictions evictions) {
        return new Devices(database, clock, events, evictions);
    }

    @Singleton
    Invites invites(Database database, ComponentRegistry registry, Clock clock, SecurityEvents events) {
        return new Invites(database, registry, clock, events);
    }

    /** Mail goes to {@code <home>/outbox} as one owner-only RFC 5322 file per message, unless configured elsewhere. */
    @Singleton
    MailSender mailSender(Clock clock, @Value("${portcullis.home}") String home,
                          @Value("${portcullis.mail.outbox:}") String outbox,
                          @Value("${portcullis.mail.from:portcullis@localhost}") String from) {
        try {
            return new OutboxMailSender(outbox.isBlank() ? homeDirectory(home).resolve(OUTBOX_DIRECTORY) : Path.of(outbox),
                    from, clock);
        } catch (IllegalArgumentException e) {
            throw new StartupRefusedException("portcullis.mail.from: " + e.getMessage());
        }
    }

    @Singleton
    EnrollmentEndpoints enrollmentEndpoints(Database database, Clock clock, Sealer sealer, SecurityEvents events,
                                            Locations locations, Devices devices, ComponentRegistry registry,
                                            MailSender mail) {
        return EnrollmentEndpoints.create(database, clock, sealer, events, locations, devices, registry, mail,
                singleThread("password-reset-mail", RESET_MAIL_QUEUE), EnrollmentEndpoints.Limits.defaults());
    }

    @Singleton
    @Bean(preDestroy = "close")
    @Requires(property = LINKS_ENABLED, notEquals = "false")
    LinkSupervisor linkSupervisor(ComponentRegistry registry, CertificateAuthority ca, GatewayReports reports,
                                  EdgeProxyReports edgeProxyReports, BeanProvider<EnrollmentEndpoints> enrollment,
                                  BeanProvider<TunnelEndpoints> tunnel) {
        // Looked up per request: enrollment and tunnel sessions need admissions, which push through these very links.
        return new LinkSupervisor(registry, ca, new PublicApi((request, edgeProxy) -> enrollment.get().handle(request, edgeProxy),
                (request, edgeProxy) -> tunnel.get().handle(request, edgeProxy)),
                SupervisorSettings.defaults(), ComponentReports.all(reports, edgeProxyReports));
    }

    /** One daemon thread with a bounded queue: background work that must never pile up in memory. */
    private static ThreadPoolExecutor singleThread(String name, int queue) {
        ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(queue),
                runnable -> {
                    Thread thread = new Thread(runnable, name);
                    thread.setDaemon(true);
                    return thread;
                });
        executor.allowCoreThreadTimeOut(true);
        return executor;
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
