package dev.portcullis.core;

import dev.portcullis.core.admin.AdminAddressPolicy;
import dev.portcullis.core.admin.CoreVersion;
import dev.portcullis.core.error.StartupRefusedException;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.io.PrintStream;
import java.net.BindException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Starts core: the admin API on an internal address, the database, the CA and the component
 * links. Everything else is configuration ({@code application.yml}, {@code PORTCULLIS_*}
 * environment variables, or these options).
 */
@Command(name = "portcullis-core", mixinStandardHelpOptions = true, versionProvider = CoreMain.Version.class,
        description = "Runs Portcullis core: the private control plane. It listens only on its internal admin API "
                + "and dials out to edge proxies and gateways.",
        footer = {"", "Other settings come from environment variables, e.g. PORTCULLIS_DATABASE_USER, "
                + "PORTCULLIS_DATABASE_PASSWORD, PORTCULLIS_MASTER_KEY_FILE, PORTCULLIS_JOIN_TOKEN_TTL (1h)."})
public final class CoreMain implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(CoreMain.class);

    @Option(names = "--home", paramLabel = "DIR", defaultValue = "${env:PORTCULLIS_HOME:-.portcullis/core}",
            description = "Core's directory: master key, admin token, embedded database (default: ${DEFAULT-VALUE}).")
    Path home;

    @Option(names = "--admin-host", paramLabel = "ADDRESS", defaultValue = "${env:PORTCULLIS_ADMIN_HOST:-127.0.0.1}",
            description = "Internal address of the admin API (default: ${DEFAULT-VALUE}). Wildcard and public "
                    + "addresses are refused unless also given to --admin-allow-address.")
    String adminHost;

    @Option(names = "--admin-port", paramLabel = "PORT", defaultValue = "${env:PORTCULLIS_ADMIN_PORT:-8080}",
            description = "Port of the admin API (default: ${DEFAULT-VALUE}).")
    int adminPort;

    @Option(names = "--admin-allow-address", paramLabel = "ADDRESS",
            description = "Accept this exact non-internal admin address deliberately.")
    String allowAddress;

    @Option(names = "--database-url", paramLabel = "JDBC_URL",
            description = "External PostgreSQL (production), e.g. jdbc:postgresql://db.internal:5432/portcullis. "
                    + "Default: an embedded PostgreSQL under --home.")
    String databaseUrl;

    @Option(names = "--mail-outbox", paramLabel = "DIR", defaultValue = "${env:PORTCULLIS_MAIL_OUTBOX}",
            description = "Where mail to users (password-reset links) is written, one owner-only RFC 5322 file per "
                    + "message, for an MTA or an operator to deliver (default: <home>/outbox).")
    Path mailOutbox;

    @Option(names = "--mail-from", paramLabel = "ADDRESS", defaultValue = "${env:PORTCULLIS_MAIL_FROM}",
            description = "From address of mail to users (default: portcullis@localhost).")
    String mailFrom;

    private final PrintStream out;
    private final PrintStream err;
    private final Map<String, Object> overrides;
    private final CountDownLatch stopped = new CountDownLatch(1);

    /** {@code overrides} are extra configuration properties (tests switch component links off with them). */
    CoreMain(PrintStream out, PrintStream err, Map<String, Object> overrides) {
        this.out = out;
        this.err = err;
        this.overrides = Map.copyOf(overrides);
    }

    public static void main(String[] args) {
        int exitCode = new CommandLine(new CoreMain(System.out, System.err, Map.of())).execute(args);
        System.exit(exitCode);
    }

    @Override
    public Integer call() throws InterruptedException {
        Optional<ApplicationContext> context = start();
        if (context.isEmpty()) {
            return 1;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            context.get().close();
            stopped.countDown();
        }, "portcullis-core-shutdown"));
        stopped.await();
        return 0;
    }

    /** Starts core and prints where the admin API listens; empty (with the reason printed) if it cannot start. */
    Optional<ApplicationContext> start() {
        ApplicationContext context = null;
        try {
            AdminAddressPolicy.check(adminHost, Optional.ofNullable(allowAddress));
            context = ApplicationContext.builder()
                    .deduceEnvironment(false)
                    .properties(properties())
                    .build();
            context.start();
            EmbeddedServer server = context.getBean(EmbeddedServer.class).start();
            out.println("portcullis core " + CoreVersion.current() + ": admin API listening on " + server.getURL()
                    + " (home " + home.toAbsolutePath().normalize() + ")");
            return Optional.of(context);
        } catch (RuntimeException e) {
            if (context != null) {
                context.close();
            }
            err.println("portcullis core cannot start: " + reason(e));
            Optional<StartupRefusedException> refused = StartupRefusedException.findIn(e);
            if (refused.isEmpty() && findBindFailure(e).isEmpty()) {
                LOG.error("core failed to start", e);
            }
            return Optional.empty();
        }
    }

    Map<String, Object> properties() {
        Map<String, Object> properties = new HashMap<>();
        properties.put("portcullis.home", home.toString());
        properties.put("portcullis.admin.host", adminHost);
        properties.put("portcullis.admin.port", adminPort);
        if (allowAddress != null) {
            properties.put("portcullis.admin.allow-address", allowAddress);
        }
        if (databaseUrl != null) {
            properties.put("portcullis.database.url", databaseUrl);
        }
        if (mailOutbox != null) {
            properties.put("portcullis.mail.outbox", mailOutbox.toString());
        }
        if (mailFrom != null) {
            properties.put("portcullis.mail.from", mailFrom);
        }
        properties.putAll(overrides);
        return properties;
    }

    private String reason(RuntimeException e) {
        Optional<StartupRefusedException> refused = StartupRefusedException.findIn(e);
        if (refused.isPresent()) {
            return refused.get().getMessage();
        }
        if (findBindFailure(e).isPresent()) {
            return "the admin API cannot listen on " + adminHost + ":" + adminPort
                    + " (address in use or not on this host); choose another --admin-port or --admin-host";
        }
        return "unexpected error (" + e.getClass().getSimpleName() + "); see the log above for details";
    }

    private static Optional<BindException> findBindFailure(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof BindException bind) {
                return Optional.of(bind);
            }
        }
        return Optional.empty();
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"portcullis-core " + CoreVersion.current()};
        }
    }
}
