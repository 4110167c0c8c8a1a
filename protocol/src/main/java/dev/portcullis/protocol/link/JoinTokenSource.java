package dev.portcullis.protocol.link;

import dev.portcullis.pki.join.JoinToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a component finds its one-time join token: the {@code --join-token} flag, a file named by
 * {@code --join-token-file}, or the {@value #ENVIRONMENT_VARIABLE} environment variable, in that
 * order of precedence. The token text never appears in a message or a log line.
 */
public final class JoinTokenSource {

    public static final String ENVIRONMENT_VARIABLE = "PORTCULLIS_JOIN_TOKEN";
    /** A token is about 150 characters; a larger file is the wrong file, and we will not read it into memory. */
    public static final long MAX_FILE_BYTES = 4096;

    private static final Logger LOG = LoggerFactory.getLogger(JoinTokenSource.class);

    private JoinTokenSource() {
    }

    /**
     * Resolves the token. Empty when none of the three sources gives one (fine once adopted).
     *
     * @param flagValue   value of {@code --join-token}, or null
     * @param file        value of {@code --join-token-file}, or null
     * @param environment the process environment
     */
    public static Optional<JoinToken> resolve(String flagValue, Path file, Map<String, String> environment)
            throws UnusableJoinTokenException {
        if (flagValue != null && file != null) {
            throw new UnusableJoinTokenException("give either --join-token or --join-token-file, not both");
        }
        if (flagValue != null) {
            return Optional.of(parse(flagValue, "--join-token"));
        }
        if (file != null) {
            return Optional.of(parse(read(file), "--join-token-file " + file));
        }
        String fromEnvironment = environment.get(ENVIRONMENT_VARIABLE);
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            return Optional.of(parse(fromEnvironment, ENVIRONMENT_VARIABLE));
        }
        return Optional.empty();
    }

    private static JoinToken parse(String text, String source) throws UnusableJoinTokenException {
        try {
            return JoinToken.parse(text.strip());
        } catch (JoinToken.MalformedTokenException e) {
            throw new UnusableJoinTokenException("the join token from " + source + " is unusable: " + e.getMessage());
        }
    }

    private static String read(Path file) throws UnusableJoinTokenException {
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new UnusableJoinTokenException("join token file " + file + " is larger than " + MAX_FILE_BYTES
                        + " bytes; it should hold only the token");
            }
            warnIfReadableByOthers(file);
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw new UnusableJoinTokenException("join token file " + file + " does not exist");
        } catch (IOException e) {
            throw new UnusableJoinTokenException("cannot read join token file " + file + " ("
                    + e.getClass().getSimpleName() + ")");
        }
    }

    private static void warnIfReadableByOthers(Path file) throws IOException {
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (permissions.contains(PosixFilePermission.GROUP_READ) || permissions.contains(PosixFilePermission.OTHERS_READ)) {
                LOG.warn("join token file {} is readable by other users; restrict it with chmod 600 "
                        + "(the token is single-use and expires, but until then it adopts this component)", file);
            }
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system: nothing to check.
        }
    }

    /** The token cannot be used. The message is safe to print: it never contains the token. */
    public static final class UnusableJoinTokenException extends Exception {
        private static final long serialVersionUID = 1L;

        public UnusableJoinTokenException(String message) {
            super(message);
        }
    }
}
