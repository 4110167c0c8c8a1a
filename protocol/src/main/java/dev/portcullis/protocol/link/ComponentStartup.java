package dev.portcullis.protocol.link;

import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.join.JoinToken;
import dev.portcullis.pki.store.CredentialStore;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The start-up checks every component process (edge-proxy, gateway) makes before it binds
 * anything, and the exit codes they share. Messages say what to do and never contain a secret.
 */
public final class ComponentStartup {

    /** The process could not start (bad option, unusable token or credentials, bind failure). */
    public static final int EXIT_STARTUP_FAILED = 1;
    /** Core removed this component; it wiped its credentials and stopped. */
    public static final int EXIT_REVOKED = 3;

    private ComponentStartup() {
    }

    /** Parses a {@code HOST:PORT} option, naming the option in the error. */
    public static InetSocketAddress listenAddress(String option, String value) throws StartupRefusedException {
        try {
            return ListenAddress.parse(value);
        } catch (IllegalArgumentException e) {
            throw new StartupRefusedException(option + ": " + e.getMessage());
        }
    }

    /**
     * The join token from the flag, file or environment, and the check that a component that
     * has not been adopted yet was given one.
     */
    public static Optional<JoinToken> joinToken(PeerIdentity.Role role, String tokenText, Path tokenFile,
                                                Map<String, String> environment, Path stateDir)
            throws StartupRefusedException {
        Optional<JoinToken> token;
        try {
            token = JoinTokenSource.resolve(tokenText, tokenFile, environment);
        } catch (JoinTokenSource.UnusableJoinTokenException e) {
            throw new StartupRefusedException(e.getMessage());
        }
        boolean adopted;
        try {
            adopted = new CredentialStore(stateDir).load().isPresent();
        } catch (UncheckedIOException e) {
            throw new StartupRefusedException(e.getCause() != null ? e.getCause().getMessage() : e.getMessage());
        }
        if (!adopted && token.isEmpty()) {
            throw new StartupRefusedException("this " + role.urnName() + " is not adopted yet (no credentials in "
                    + stateDir + ") and no join token was given: register it in core with 'portcullis-admin "
                    + "component add', then start it with --join-token-file FILE (or --join-token TOKEN, or "
                    + JoinTokenSource.ENVIRONMENT_VARIABLE + ")");
        }
        return token;
    }

    /** The process cannot start; the message says what to do and contains no secret. */
    public static final class StartupRefusedException extends Exception {
        private static final long serialVersionUID = 1L;

        public StartupRefusedException(String message) {
            super(message);
        }
    }
}
