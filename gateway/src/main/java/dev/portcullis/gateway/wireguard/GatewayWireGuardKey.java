package dev.portcullis.gateway.wireguard;

import dev.portcullis.pki.wireguard.WireGuardPrivateKey;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Base64;
import java.util.Set;

/**
 * The gateway's WireGuard private key in its state directory: {@code wireguard.key}, the base64
 * form {@code wg} uses (so {@code wg pubkey < wireguard.key} works), owner-only. Generated on the
 * first start, on this host; only its public key ever leaves. Creation is atomic and race-free:
 * the key is written to a temporary file and hard-linked into place, so a crash leaves no partial
 * key and two processes starting at once end up with the same key.
 */
public final class GatewayWireGuardKey {

    public static final String FILE_NAME = "wireguard.key";

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_ONLY_DIRECTORY = PosixFilePermissions.fromString("rwx------");

    /** 44 base64 characters and an optional newline: anything longer is not our key file. */
    private static final int MAX_FILE_BYTES = 64;

    private GatewayWireGuardKey() {
    }

    /** Loads the key, generating and storing one first if there is none. */
    public static WireGuardPrivateKey loadOrCreate(Path stateDirectory) throws IOException {
        Path file = stateDirectory.resolve(FILE_NAME);
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return load(file);
        }
        if (!Files.isDirectory(stateDirectory)) {
            Files.createDirectories(stateDirectory,
                    PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIRECTORY));
        }
        WireGuardPrivateKey key = WireGuardPrivateKey.generate();
        Path temporary = Files.createTempFile(stateDirectory, "." + FILE_NAME, ".tmp",
                PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        try {
            byte[] raw = key.bytes();
            byte[] encoded = Base64.getEncoder().encode(raw);
            Arrays.fill(raw, (byte) 0);
            byte[] content = Arrays.copyOf(encoded, encoded.length + 1);
            content[encoded.length] = '\n';
            Arrays.fill(encoded, (byte) 0);
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            } finally {
                Arrays.fill(content, (byte) 0);
            }
            try {
                Files.createLink(file, temporary);
            } catch (FileAlreadyExistsException e) {
                return load(file); // another process won the race: use its key
            } catch (UnsupportedOperationException e) {
                Files.move(temporary, file); // no hard links here: rename, failing if the file appeared
            }
            syncDirectory(stateDirectory);
            return key;
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /** Loads an existing key file, refusing one that others may read or that is not ours to trust. */
    public static WireGuardPrivateKey load(Path file) throws IOException {
        PosixFileAttributes attributes = Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!attributes.isRegularFile()) {
            throw new IOException(file + " is not a regular file (a symbolic link is refused); "
                    + "it must hold the gateway's WireGuard private key");
        }
        Set<PosixFilePermission> permissions = attributes.permissions();
        for (PosixFilePermission permission : permissions) {
            if (!OWNER_ONLY.contains(permission)) {
                throw new IOException(file + " is accessible to group or others ("
                        + PosixFilePermissions.toString(permissions) + "); the WireGuard private key must be "
                        + "owner-only: chmod 600 " + file + ", and if others may have read it, delete it to "
                        + "generate a new key and re-register the gateway's public key");
            }
        }
        if (attributes.size() > MAX_FILE_BYTES) {
            throw new IOException(file + " is not a WireGuard private key file (too large)");
        }
        byte[] content = Files.readAllBytes(file);
        byte[] raw = null;
        try {
            int length = content.length;
            if (length > 0 && content[length - 1] == '\n') {
                length--;
            }
            try {
                raw = Base64.getDecoder().decode(Arrays.copyOf(content, length));
            } catch (IllegalArgumentException e) {
                throw new IOException(file + " is not a base64 WireGuard private key");
            }
            if (raw.length != WireGuardPrivateKey.BYTES) {
                throw new IOException(file + " is not a base64 WireGuard private key (wrong length)");
            }
            return WireGuardPrivateKey.fromBytes(raw);
        } finally {
            Arrays.fill(content, (byte) 0);
            if (raw != null) {
                Arrays.fill(raw, (byte) 0);
            }
        }
    }

    private static void syncDirectory(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Not every file system lets a directory be synced; the rename is still atomic.
        }
    }
}
