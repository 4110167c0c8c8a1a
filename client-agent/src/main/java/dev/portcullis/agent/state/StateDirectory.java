package dev.portcullis.agent.state;

import dev.portcullis.agent.api.Json;
import dev.portcullis.agent.outcome.AgentFailure;
import dev.portcullis.agent.outcome.ExitCode;
import dev.portcullis.pki.store.CredentialStore;
import dev.portcullis.pki.wireguard.WireGuardPrivateKey;
import java.io.IOException;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.regex.Pattern;
import java.util.stream.Stream;
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
 *   <li>{@value #SESSIONS}{@code /<location>.json}: a live tunnel session ({@link SavedSession}), with its
 *       preshared key; the {@code sessions} directory is 0700 too</li>
 *   <li>{@code keeper-<location>.pid} and {@code keeper-<location>.log}: the session keeper's process id and
 *       its log (no secrets)</li>
 * </ul>
 */
public final class StateDirectory {

    public static final String ENV_HOME = "PORTCULLIS_AGENT_HOME";
    public static final String DEFAULT_NAME = ".portcullis-agent";
    public static final String ENROLLMENT = "enrollment.json";
    public static final String WIREGUARD_KEY = "wireguard.key";
    public static final String DEVICE_CREDENTIAL = "device-credential.pem";
    public static final String SESSIONS = "sessions";
    /**
     * Location names as they appear in file names: what core allows for a location name. Anything
     * else (a slash, "..") never reaches the file system.
     */
    public static final Pattern LOCATION_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    /** Bound on a session file; a real one is under 2 KiB. */
    private static final long MAX_SESSION_BYTES = 64 * 1024;
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

    /** The device credential's private key (P-256), to sign tunnel requests. */
    public PrivateKey loadCredential() {
        Path file = directory.resolve(DEVICE_CREDENTIAL);
        try {
            return CredentialStore.readKey(Files.readString(file, StandardCharsets.US_ASCII));
        } catch (IOException | RuntimeException e) {
            throw AgentFailure.localState("cannot read the device credential " + file + "; enroll again with --force");
        }
    }

    /** This device's WireGuard private key. */
    public WireGuardPrivateKey loadWireGuardKey() {
        Path file = directory.resolve(WIREGUARD_KEY);
        byte[] text = null;
        byte[] raw = null;
        try {
            if (Files.size(file) > 128) {
                throw new IOException("too large");
            }
            text = Files.readAllBytes(file);
            int length = text.length;
            while (length > 0 && (text[length - 1] == '\n' || text[length - 1] == '\r')) {
                length--;
            }
            raw = Base64.getDecoder().decode(Arrays.copyOf(text, length));
            return WireGuardPrivateKey.fromBytes(raw);
        } catch (IOException | RuntimeException e) {
            throw AgentFailure.localState("cannot read the WireGuard key " + file + "; enroll again with --force");
        } finally {
            if (text != null) {
                Arrays.fill(text, (byte) 0);
            }
            if (raw != null) {
                Arrays.fill(raw, (byte) 0);
            }
        }
    }

    /** Refuses a location name that could not be a file name of ours. */
    public static String checkLocation(String location) {
        if (location == null || !LOCATION_NAME.matcher(location).matches()) {
            throw AgentFailure.usage("'" + (location == null ? "" : location.replaceAll("[^A-Za-z0-9._ -]", "?"))
                    + "' is not a location name (1-63 letters, digits, '.', '-', '_')");
        }
        return location;
    }

    public Path sessionFile(String location) {
        return directory.resolve(SESSIONS).resolve(checkLocation(location) + ".json");
    }

    public Path keeperPidFile(String location) {
        return directory.resolve("keeper-" + checkLocation(location) + ".pid");
    }

    public Path keeperLogFile(String location) {
        return directory.resolve("keeper-" + checkLocation(location) + ".log");
    }

    /** Saves a session (with its preshared key) owner-only, atomically, replacing an earlier one. */
    public void saveSession(SavedSession session) {
        Path file = sessionFile(session.location());
        try {
            createOwnerOnly();
            createOwnerOnly(directory.resolve(SESSIONS));
            byte[] json = Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(session);
            try {
                writeOwnerOnly(file.getParent(), file.getFileName().toString(), json);
            } finally {
                Arrays.fill(json, (byte) 0);
            }
        } catch (IOException e) {
            throw new AgentFailure(ExitCode.LOCAL_STATE, "cannot write " + file + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    public Optional<SavedSession> loadSession(String location) {
        Path file = sessionFile(location);
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        byte[] json = null;
        try {
            if (Files.size(file) > MAX_SESSION_BYTES) {
                throw AgentFailure.localState(file + " is too large to be a session");
            }
            json = Files.readAllBytes(file);
            SavedSession session = Json.mapper().readValue(json, SavedSession.class);
            if (session.format() != SavedSession.FORMAT || session.session() == null || !location.equals(session.location())) {
                throw AgentFailure.localState(file + " is not a session this agent understands; run: portcullis-agent down " + location);
            }
            return Optional.of(session);
        } catch (IOException e) {
            throw AgentFailure.localState("cannot read " + file + "; run: portcullis-agent down " + location);
        } finally {
            if (json != null) {
                Arrays.fill(json, (byte) 0);
            }
        }
    }

    /** Every saved session, by location name. */
    public List<SavedSession> loadSessions() {
        Path sessions = directory.resolve(SESSIONS);
        if (!Files.isDirectory(sessions)) {
            return List.of();
        }
        List<String> names = new ArrayList<>();
        try (Stream<Path> files = Files.list(sessions)) {
            files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".json"))
                    .map(n -> n.substring(0, n.length() - ".json".length()))
                    .filter(n -> LOCATION_NAME.matcher(n).matches()).sorted().forEach(names::add);
        } catch (IOException e) {
            throw AgentFailure.localState("cannot list " + sessions);
        }
        List<SavedSession> saved = new ArrayList<>();
        for (String name : names) {
            loadSession(name).ifPresent(saved::add);
        }
        return saved;
    }

    public void deleteSession(String location) {
        try {
            Files.deleteIfExists(sessionFile(location));
        } catch (IOException e) {
            throw AgentFailure.localState("cannot delete " + sessionFile(location));
        }
    }

    /** Records the keeper's process id. */
    public void saveKeeperPid(String location, long pid) {
        try {
            createOwnerOnly();
            writeOwnerOnly(directory, keeperPidFile(location).getFileName().toString(),
                    (pid + "\n").getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw AgentFailure.localState("cannot write " + keeperPidFile(location));
        }
    }

    public OptionalLong keeperPid(String location) {
        Path file = keeperPidFile(location);
        try {
            if (!Files.exists(file) || Files.size(file) > 32) {
                return OptionalLong.empty();
            }
            String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
            return text.matches("[1-9][0-9]{0,9}") ? OptionalLong.of(Long.parseLong(text)) : OptionalLong.empty();
        } catch (IOException e) {
            return OptionalLong.empty();
        }
    }

    public void deleteKeeperPid(String location) {
        try {
            Files.deleteIfExists(keeperPidFile(location));
        } catch (IOException e) {
            // A stale pid file is checked against the live process before use.
        }
    }

    private void createOwnerOnly() throws IOException {
        createOwnerOnly(directory);
    }

    private static void createOwnerOnly(Path directory) throws IOException {
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
        writeOwnerOnly(directory, name, content);
    }

    private static void writeOwnerOnly(Path directory, String name, byte[] content) throws IOException {
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
