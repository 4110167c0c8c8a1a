package dev.portcullis.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Collections;
import org.junit.jupiter.api.Test;

class EmbeddedPostgresTest {

    @Test
    void embeddedDatabaseRefusesConnectionsWithoutItsPassword() {
        EmbeddedPostgresServer server = TestPostgres.server();

        assertThatThrownBy(() -> DriverManager.getConnection(server.jdbcUrl("postgres"), "postgres", "").close())
                .isInstanceOf(SQLException.class);
        assertThatThrownBy(() -> DriverManager.getConnection(server.jdbcUrl("postgres"), "postgres", "wrong").close())
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("password authentication failed");
    }

    @Test
    void embeddedDatabaseListensOnLoopbackOnly() throws Exception {
        EmbeddedPostgresServer server = TestPostgres.server();
        try (Socket loopback = new Socket()) {
            loopback.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()), 2000);
        }
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            for (InetAddress address : Collections.list(nic.getInetAddresses())) {
                if (address.isLoopbackAddress() || address.isLinkLocalAddress()) {
                    continue;
                }
                try (Socket external = new Socket()) {
                    assertThatThrownBy(() -> external.connect(new InetSocketAddress(address, server.port()), 1000))
                            .as("PostgreSQL must not accept connections on %s", address)
                            .isInstanceOf(java.io.IOException.class);
                }
            }
        }
    }

    @Test
    void embeddedDatabasePasswordFileIsOwnerOnly() throws Exception {
        TestPostgres.server();
        var passwordFile = TestPostgres.buildDirectory().resolve("test-postgres").resolve("db-password");

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(passwordFile))).isEqualTo("rw-------");
    }

    @Test
    void migrationsCreateCoreSchema() throws Exception {
        try (Database database = TestPostgres.freshDatabase().open()) {
            var tables = database.inTransaction(connection -> {
                var names = new java.util.ArrayList<String>();
                try (var rs = connection.getMetaData().getTables(null, "public", "%", new String[] {"TABLE"})) {
                    while (rs.next()) {
                        names.add(rs.getString("TABLE_NAME"));
                    }
                }
                return names;
            });
            assertThat(tables).contains("ca", "components", "join_tokens", "certificates", "admin_tokens");
        }
    }
}
