package dev.portcullis.agent.state;

import dev.portcullis.agent.api.Json;
import dev.portcullis.agent.outcome.AgentFailure;
import dev.portcullis.agent.outcome.ExitCode;
import dev.portcullis.pki.store.CredentialStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The agent's state directory: {@code --state-dir}, else {@code $PORTCULLIS_AGENT_HOME}, else
 * {@code ~/.portcullis-agent}. Owner-only (0700); every file owner-only (0600) from the moment it
 * exists (written to a temporary file created 0600, then renamed into place), so a crash leaves
 * either the old or the new file and never a readable key.
 * <ul>
 *   <li>{@value #WIREGUARD_KEY}: the WireGuard private key, base64 (as {@code wg genkey} writes it)</li>
 *   <li>{@value #DEVICE_CREDENTIAL}: the device credential's private key, PKCS#8 PEM</li>
 *   <li>{@value #ENROLLMENT}: the {@link EnrollmentRecord}, no secrets</li>
 * </ul>
 */
public final class StateDirectory {

    public static final String ENV_HOME = "PORTCULLIS_AGENT_HOME";
    public static final String DEFAULT_NAME = ".portcullis-agent";
    public static final String ENROLLMENT = "enrollment.json";
    public static final String WIREGUARD_KEY = "wireguard.key";
    public static final String DEVICE_CREDENTIAL = "device-credential.pem";
    /** Bound on enrollment.json; a real one is a few KiB even with many locations. */
    private static final long MAX_RECORD_BYTES = 1024 * 1024;
    private static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    private final Path directory;

    private StateDirectory(Path directory) {
        this.directory = directory.toAbsolutePath().normalize();
    }

    /** Picks the directory: the explicit option, else {@value #ENV_HOME}, else {@code <home>/.portcullis-agent}. */
    public static StateDirectory resolve(Path explicit, Map<String, String> environment, Path userHome) {
        if (explicit != null) {
            return new StateDirectory(explicit);
        }
        String fromEnvironment = environment.get(ENV_HOME);
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            return new StateDirectory(Path.of(fromEnvironment));
        }
        return new StateDirectory(userHome.resolve(DEFAULT_NAME));
    }

    public Path path() {
        return directory;
    }

    /** Whether this device has completed an enrollment (its record exists). */
    public boolean isEnrolled() {
        return Files.exists(directory.resolve(ENROLLMENT), LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * Checks, without writing anything, that the directory can be created or written. Called
     * before the invite is redeemed, so that a local problem does not waste the one-time link.
     */
    public void checkUsable() {
        if (Files.exists(directory)) {
            if (!Files.isDirectory(directory)) {
                throw AgentFailure.localState(directory + " exists and is not a directory; choose another --state-dir");
            }
            if (!Files.isWritable(directory)) {
                throw AgentFailure.localState("cannot write to " + directory + "; choose another --state-dir");
            }
            return;
        }
        Path ancestor = directory.getParent();
        while (ancestor != null && !Files.exists(ancestor)) {
            ancestor = ancestor.getParent();
        }
        if (ancestor == null || !Files.isDirectory(ancestor) || !Files.isWritable(ancestor)) {
            throw AgentFailure.localState("cannot create " + directory + "; choose another --state-dir");
        }
    }

    /**
     * Writes a new device's private keys, replacing any earlier ones, and forgets any earlier
     * enrollment record (it described the keys being replaced).
     */
    public void saveDeviceKeys(DeviceKeys keys) {
        try {
            createOwnerOnly();
            Files.deleteIfExists(directory.resolve(ENROLLMENT));
            writeOwnerOnly(WIREGUARD_KEY, (Base64.getEncoder().encodeToString(keys.wireguardPrivateKey().bytes()) + "\n")
                    .getBytes(StandardCharsets.US_ASCII));
            writeOwnerOnly(DEVICE_CREDENTIAL, CredentialStore.pkcs8Pem(keys.credentialPrivateKey()).getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new AgentFailure(ExitCode.LOCAL_STATE,
                    "cannot write this device's keys to " + directory + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    public void saveEnrollment(EnrollmentRecord record) {
        try {
            createOwnerOnly();
            writeOwnerOnly(ENROLLMENT, Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(record));
        } catch (IOException e) {
            throw new AgentFailure(ExitCode.LOCAL_STATE,
                    "cannot write " + directory.resolve(ENROLLMENT) + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** The enrollment record, if this device is enrolled. */
    public Optional<EnrollmentRecord> loadEnrollment() {
        Path file = directory.resolve(ENROLLMENT);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            if (Files.size(file) > MAX_RECORD_BYTES) {
                throw AgentFailure.localState(file + " is too large to be an enrollment record");
            }
            EnrollmentRecord record = Json.mapper().readValue(Files.readAllBytes(file), EnrollmentRecord.class);
            if (record.format() != EnrollmentRecord.FORMAT || record.device() == null || record.user() == null) {
                throw AgentFailure.localState(file + " is not an enrollment record this agent understands; enroll again with --force");
            }
            return Optional.of(record);
        } catch (IOException e) {
            throw AgentFailure.localState("cannot read " + file + "; enroll again with --force");
        }
    }

    private void createOwnerOnly() throws IOException {
        if (!Files.isDirectory(directory)) {
            Path parent = directory.getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            if (POSIX) {
                Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
            } else {
                Files.createDirectory(directory);
            }
        }
        if (POSIX) {
            Files.setPosixFilePermissions(directory, OWNER_ONLY_DIR); // also tightens a directory the user made
        }
    }

    private void writeOwnerOnly(String name, byte[] content) throws IOException {
        Path target = directory.resolve(name);
        FileAttribute<?>[] ownerOnly = POSIX
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE)} : new FileAttribute<?>[0];
        Path temporary = Files.createTempFile(directory, "." + name, ".tmp", ownerOnly);
        try {
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            try {
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
            }
            if (POSIX) {
                Files.setPosixFilePermissions(target, OWNER_ONLY_FILE);
            }
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    @Override
    public String toString() {
        return directory.toString();
    }
}
