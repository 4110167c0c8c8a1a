package dev.portcullis.core.store;

import dev.portcullis.core.error.StartupRefusedException;
import dev.portcullis.core.secretfile.OwnerOnlyFile;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default database: a real PostgreSQL (zonky's binaries, run as a child process) whose data
 * lives in {@code <home>/pgdata} and survives restarts. It listens on loopback only, on a free port,
 * and requires a password (SCRAM) that only core's owner can read, so other local users cannot
 * connect. Production deployments point core at their own PostgreSQL instead.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgresServer.class);
    static final String SUPERUSER = "postgres";
    static final String DATABASE = "portcullis";
    /** A first start extracts binaries and runs initdb; slow disks need the margin. */
    private static final Duration STARTUP_WAIT = Duration.ofSeconds(60);
    private static final int PASSWORD_BYTES = 32;
    /** A smart shutdown without clients takes a checkpoint; give a slow disk time for it. */
    private static final Duration ORPHAN_STOP_WAIT = Duration.ofSeconds(30);

    private final EmbeddedPostgres postgres;
    private final String password;

    private EmbeddedPostgresServer(EmbeddedPostgres postgres, String password) {
        this.postgres = postgres;
        this.password = password;
    }

    /**
     * Starts PostgreSQL on {@code <home>/pgdata}, creating the cluster on first start.
     * Binaries are unpacked under {@code <home>/postgres-runtime}, logs go to {@code <home>/postgres.log}.
     */
    public static EmbeddedPostgresServer start(Path home) {
        OwnerOnlyFile.directory(home);
        Path dataDir = home.resolve("pgdata");
        Path passwordFile = home.resolve("db-password");
        Path runtimeDir = home.resolve("postgres-runtime");
        Path log = home.resolve("postgres.log");
        boolean firstStart = !Files.exists(dataDir.resolve("PG_VERSION"));
        String password = firstStart ? newPassword(passwordFile) : existingPassword(passwordFile, dataDir);
        Path initdbPasswordFile = home.resolve(".initdb-password");
        try {
            if (!Files.exists(log)) {
                OwnerOnlyFile.write(log, new byte[0]); // server logs can quote statements; keep them private
            }
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setDataDirectory(dataDir)
                    .setCleanDataDirectory(false)
                    .setOverrideWorkingDirectory(OwnerOnlyFile.directory(runtimeDir).toFile())
                    // Safety net: stop PostgreSQL when the JVM exits, even if core failed half-way through
                    // starting and never got to close it (closing twice is harmless).
                    .setRegisterShutdownHook(true)
                    .setPGStartupWait(STARTUP_WAIT)
                    .setOutputRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .setErrorRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    // Loopback only, no Unix socket in a shared directory.
                    .setServerConfig("listen_addresses", "localhost")
                    .setServerConfig("unix_socket_directories", "")
                    // zonky defaults to synchronous_commit=off (fine for tests, not for core's state).
                    .setServerConfig("synchronous_commit", "on")
                    .setServerConfig("max_connections", "30")
                    .setServerConfig("password_encryption", "scram-sha-256")
                    .setConnectConfig("password", password);
            if (firstStart) {
                OwnerOnlyFile.write(initdbPasswordFile, password.getBytes(StandardCharsets.UTF_8));
                // zonky passes these to initdb as --key=value after its own "-A trust": password
                // authentication for every connection, with the superuser password set at initdb.
                builder.setLocaleConfig("auth-host", "scram-sha-256")
                        .setLocaleConfig("auth-local", "scram-sha-256")
                        .setLocaleConfig("pwfile", initdbPasswordFile.toAbsolutePath().toString());
            }
            stopOrphanedServer(dataDir);
            EmbeddedPostgres postgres = builder.start();
            EmbeddedPostgresServer server = new EmbeddedPostgresServer(postgres, password);
            server.createDatabase(DATABASE);
            LOG.info("embedded PostgreSQL listening on localhost:{} (data {})", postgres.getPort(), dataDir);
            return server;
        } catch (IOException | IllegalStateException e) {
            throw new StartupRefusedException("cannot start the embedded PostgreSQL (data " + dataDir + ", log " + log
                    + "): " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(initdbPasswordFile);
            } catch (IOException ignored) {
                // owner-only, and rewritten on the next first start
            }
        }
    }

    public int port() {
        return postgres.getPort();
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://localhost:" + postgres.getPort() + "/" + database;
    }

    public String jdbcUrl() {
        return jdbcUrl(DATABASE);
    }

    public String user() {
        return SUPERUSER;
    }

    public String password() {
        return password;
    }

    /** Creates a database if it does not exist yet (core's own, or a fresh one per test). */
    public void createDatabase(String name) {
        if (!name.matches("[a-z_][a-z0-9_]{0,62}")) {
            throw new IllegalArgumentException("database name must be a plain lower-case identifier");
        }
        try (Connection connection = DriverManager.getConnection(jdbcUrl("postgres"), SUPERUSER, password);
             PreparedStatement exists = connection.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            exists.setString(1, name);
            try (ResultSet rs = exists.executeQuery()) {
                if (rs.next()) {
                    return;
                }
            }
            try (Statement create = connection.createStatement()) {
                create.execute("CREATE DATABASE " + name + " ENCODING 'UTF8'");
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + name, e);
        }
    }

    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            LOG.warn("embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
        }
    }

    /**
     * A core killed without its shutdown hooks (kill -9, OOM killer) leaves its PostgreSQL running
     * and holding the data directory. Such a server has no clients left; ask it to stop (SIGTERM,
     * a smart shutdown) before starting a new one. Only a postgres process serving this very data
     * directory is touched.
     */
    private static void stopOrphanedServer(Path dataDir) throws IOException {
        Path pidFile = dataDir.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return;
        }
        String firstLine = Files.readAllLines(pidFile, StandardCharsets.US_ASCII).stream().findFirst().orElse("").strip();
        if (!firstLine.matches("\\d{1,10}")) {
            return;
        }
        Optional<ProcessHandle> orphan = ProcessHandle.of(Long.parseLong(firstLine))
                .filter(ProcessHandle::isAlive)
                .filter(p -> p.info().commandLine().map(c -> c.contains("postgres")
                        && c.contains(dataDir.toAbsolutePath().toString())).orElse(false));
        if (orphan.isEmpty()) {
            return;
        }
        LOG.warn("stopping the PostgreSQL (pid {}) that a previous core left running on {}", orphan.get().pid(), dataDir);
        orphan.get().destroy();
        try {
            orphan.get().onExit().get(ORPHAN_STOP_WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping the orphaned PostgreSQL", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("a PostgreSQL left running by a previous core (pid " + orphan.get().pid()
                    + ") did not stop; stop it and start core again");
        }
    }

    private static String newPassword(Path passwordFile) {
        byte[] random = new byte[PASSWORD_BYTES];
        new SecureRandom().nextBytes(random);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        OwnerOnlyFile.write(passwordFile, password.getBytes(StandardCharsets.US_ASCII));
        return password;
    }

    private static String existingPassword(Path passwordFile, Path dataDir) {
        if (!Files.exists(passwordFile)) {
            throw new StartupRefusedException("the embedded database in " + dataDir + " exists but its password file "
                    + passwordFile + " is missing; restore it, or move " + dataDir + " away to start with an empty database");
        }
        return new String(OwnerOnlyFile.read(passwordFile), StandardCharsets.US_ASCII).strip();
    }
}
