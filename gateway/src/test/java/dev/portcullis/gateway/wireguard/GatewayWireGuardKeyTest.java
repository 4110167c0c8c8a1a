package dev.portcullis.gateway.wireguard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.pki.wireguard.WireGuardPrivateKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gateway's WireGuard key file: generated once, owner-only, refused when exposed. */
class GatewayWireGuardKeyTest {

    @TempDir
    Path directory;

    @Test
    void firstStartGeneratesAnOwnerOnlyKeyAndLaterStartsLoadTheSameKey() throws Exception {
        Path state = directory.resolve("state");

        WireGuardPrivateKey first = GatewayWireGuardKey.loadOrCreate(state);
        WireGuardPrivateKey second = GatewayWireGuardKey.loadOrCreate(state);

        Path file = state.resolve(GatewayWireGuardKey.FILE_NAME);
        assertThat(second).isEqualTo(first);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state))).isEqualTo("rwx------");
        assertThat(Files.readString(file)).isEqualTo(Base64.getEncoder().encodeToString(first.bytes()) + "\n");
        try (var listing = Files.list(state)) {
            assertThat(listing).as("no temporary files left").containsExactly(file);
        }
    }

    @Test
    void keyFileReadableByGroupOrOthersIsRefused() throws Exception {
        GatewayWireGuardKey.loadOrCreate(directory);
        Path file = directory.resolve(GatewayWireGuardKey.FILE_NAME);
        for (String permissions : List.of("rw-r-----", "rw----r--", "rw-rw-rw-", "rw-----w-")) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
            assertThatThrownBy(() -> GatewayWireGuardKey.loadOrCreate(directory)).as(permissions)
                    .isInstanceOf(IOException.class).hasMessageContaining("owner-only").hasMessageContaining("chmod 600");
        }
    }

    @Test
    void refusalMessagesNeverContainTheKey() throws Exception {
        WireGuardPrivateKey key = GatewayWireGuardKey.loadOrCreate(directory);
        Path file = directory.resolve(GatewayWireGuardKey.FILE_NAME);
        String base64 = Files.readString(file).strip();
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> GatewayWireGuardKey.loadOrCreate(directory))
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(base64).doesNotContain(key.hex()));
    }

    @Test
    void symbolicLinkInsteadOfTheKeyFileIsRefused() throws Exception {
        Path elsewhere = Files.createFile(directory.resolve("elsewhere"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(elsewhere, Base64.getEncoder().encodeToString(new byte[32]) + "\n");
        Files.createSymbolicLink(directory.resolve(GatewayWireGuardKey.FILE_NAME), elsewhere);

        assertThatThrownBy(() -> GatewayWireGuardKey.loadOrCreate(directory)).isInstanceOf(IOException.class)
                .hasMessageContaining("not a regular file");
    }

    @Test
    void corruptKeyFileIsRefusedNotReplaced() throws Exception {
        Path file = directory.resolve(GatewayWireGuardKey.FILE_NAME);
        for (String content : List.of("", "not base64!\n", Base64.getEncoder().encodeToString(new byte[31]) + "\n",
                "x".repeat(200))) {
            Files.deleteIfExists(file);
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, content, StandardCharsets.US_ASCII);
            assertThatThrownBy(() -> GatewayWireGuardKey.loadOrCreate(directory)).as(content)
                    .isInstanceOf(IOException.class).hasMessageContaining("not a");
            assertThat(Files.readString(file)).isEqualTo(content);
        }
    }

    @Test
    void concurrentFirstStartsAgreeOnOneKey() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<WireGuardPrivateKey>> keys = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                Callable<WireGuardPrivateKey> start = () -> GatewayWireGuardKey.loadOrCreate(directory);
                keys.add(pool.submit(start));
            }
            List<WireGuardPrivateKey> returned = new ArrayList<>();
            for (Future<WireGuardPrivateKey> key : keys) {
                returned.add(key.get());
            }
            // Read only after every start finished (reading earlier raced the first write).
            WireGuardPrivateKey onDisk = GatewayWireGuardKey.load(directory.resolve(GatewayWireGuardKey.FILE_NAME));
            assertThat(returned).allSatisfy(key -> assertThat(key).isEqualTo(onDisk));
        } finally {
            pool.shutdownNow();
        }
    }
}
