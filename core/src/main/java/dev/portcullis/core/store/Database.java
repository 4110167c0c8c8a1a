package dev.portcullis.core.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import dev.portcullis.core.error.StartupRefusedException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Core's PostgreSQL: the embedded server by default, or an external one for production.
 * Opening it runs the Flyway migrations in {@code db/migration}; closing it closes the pool, then
 * stops the embedded server if core started one.
 */
public final class Database implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Database.class);
    /**
     * Core's queries are short (admin calls, link bookkeeping); eight connections serve them with
     * room to spare, and each PostgreSQL connection costs a backend process.
     */
    static final int MAX_POOL_SIZE = 8;

    private final HikariDataSource pool;
    private final Optional<EmbeddedPostgresServer> embedded;

    private Database(HikariDataSource pool, Optional<EmbeddedPostgresServer> embedded) {
        this.pool = pool;
        this.embedded = embedded;
    }

    /** Starts (or restarts) the embedded PostgreSQL under {@code home} and opens it. */
    public static Database embedded(Path home) {
        EmbeddedPostgresServer server = EmbeddedPostgresServer.start(home);
        try {
            return open(server.jdbcUrl(), server.user(), server.password(), Optional.of(server));
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** Opens an external PostgreSQL (production). */
    public static Database external(String jdbcUrl, String user, String password) {
        return open(jdbcUrl, user, password, Optional.empty());
    }

    private static Database open(String jdbcUrl, String user, String password,
                                 Optional<EmbeddedPostgresServer> embedded) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("portcullis-core");
        config.setJdbcUrl(jdbcUrl);
        config.setUsername(user);
        config.setPassword(password);
        config.setMaximumPoolSize(MAX_POOL_SIZE);
        config.setMinimumIdle(1);
        config.setConnectionTimeout(10_000);
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(config);
        } catch (HikariPool.PoolInitializationException e) {
            throw new StartupRefusedException("cannot connect to PostgreSQL at " + withoutQuery(jdbcUrl) + ": "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
        }
        try {
            migrate(pool);
        } catch (FlywayException e) {
            pool.close();
            throw new StartupRefusedException("cannot migrate the database schema at " + withoutQuery(jdbcUrl) + ": "
                    + e.getMessage(), e);
        }
        return new Database(pool, embedded);
    }

    private static void migrate(DataSource dataSource) {
        var result = Flyway.configure()
                .dataSource(dataSource)
                .locations("classpath:db/migration")
                .failOnMissingLocations(true)
                .load()
                .migrate();
        if (result.migrationsExecuted > 0) {
            LOG.info("database schema migrated to version {}", result.targetSchemaVersion);
        }
    }

    public DataSource dataSource() {
        return pool;
    }

    /** Runs {@code work} in one transaction: committed if it returns, rolled back if it throws. */
    public <T> T inTransaction(SqlWork<T> work) {
        try (Connection connection = pool.getConnection()) {
            connection.setAutoCommit(false);
            try {
                T result = work.run(connection);
                connection.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new DatabaseException(e);
        }
    }

    /** Timestamps go to PostgreSQL as {@code timestamptz} in UTC, whatever the JVM's zone. */
    public static OffsetDateTime timestamp(Instant instant) {
        return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
    }

    public static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }

    /** True when the statement failed on a unique constraint. */
    public static boolean isUniqueViolation(SQLException e) {
        return "23505".equals(e.getSQLState());
    }

    @Override
    public void close() {
        pool.close();
        embedded.ifPresent(EmbeddedPostgresServer::close);
    }

    private static String withoutQuery(String jdbcUrl) {
        int query = jdbcUrl.indexOf('?');
        return query < 0 ? jdbcUrl : jdbcUrl.substring(0, query);
    }

    /** A unit of database work. */
    @FunctionalInterface
    public interface SqlWork<T> {
        T run(Connection connection) throws SQLException;
    }

    /** An unexpected database failure; its message is for the log, never for a response. */
    public static final class DatabaseException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        DatabaseException(SQLException cause) {
            super("database error (SQLState " + cause.getSQLState() + ")", cause);
        }
    }
}
