package dev.portcullis.core.secretfile;

import dev.portcullis.core.error.StartupRefusedException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * Files and directories that hold secrets and must be readable by their owner only.
 * Files are created with owner-only permissions from the first byte (never chmod-ed afterwards),
 * so there is no window in which another local user could open them.
 */
public final class OwnerOnlyFile {

    private static final Set<PosixFilePermission> GROUP_OR_OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
    private static final FileAttribute<Set<PosixFilePermission>> FILE_MODE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private static final FileAttribute<Set<PosixFilePermission>> DIRECTORY_MODE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

    private OwnerOnlyFile() {
    }

    /** Creates the directory (and parents) owner-only if it does not exist yet; an existing one is left as it is. */
    public static Path directory(Path dir) {
        try {
            if (!Files.isDirectory(dir)) {
                Path parent = dir.toAbsolutePath().getParent();
                if (parent != null) {
                    Files.createDirectories(parent);
                }
                Files.createDirectory(dir, DIRECTORY_MODE);
            }
            return dir;
        } catch (FileAlreadyExistsException e) {
            return dir;
        } catch (IOException e) {
            throw new StartupRefusedException("cannot create directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes a new file that only its owner can read, replacing any previous one. The new content is
     * written to an owner-only temporary file first and moved into place, so readers never see a half file.
     */
    public static void write(Path file, byte[] content) {
        Path absolute = file.toAbsolutePath();
        Path temporary = absolute.resolveSibling("." + absolute.getFileName() + ".tmp");
        try {
            Files.deleteIfExists(temporary);
            Files.createFile(temporary, FILE_MODE);
            Files.write(temporary, content, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            Files.move(temporary, absolute, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        } finally {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException ignored) {
                // best effort: the temporary file is owner-only
            }
        }
    }

    /** Reads a secret file, refusing it when its permissions let anyone but its owner read or change it. */
    public static byte[] read(Path file) {
        requireOwnerOnly(file);
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new StartupRefusedException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Refuses a file whose permissions grant anything to group or others. */
    public static void requireOwnerOnly(Path file) {
        Set<PosixFilePermission> permissions;
        try {
            permissions = Files.getPosixFilePermissions(file);
        } catch (IOException e) {
            throw new StartupRefusedException("cannot read the permissions of " + file + ": " + e.getMessage(), e);
        }
        if (!isOwnerOnly(permissions)) {
            throw new StartupRefusedException(file + " is accessible to group or others (mode "
                    + PosixFilePermissions.toString(permissions) + "); it holds a secret. Run: chmod 600 " + file);
        }
    }

    public static boolean isOwnerOnly(Path file) throws IOException {
        return isOwnerOnly(Files.getPosixFilePermissions(file));
    }

    private static boolean isOwnerOnly(Set<PosixFilePermission> permissions) {
        return permissions.stream().noneMatch(GROUP_OR_OTHERS::contains);
    }
}
