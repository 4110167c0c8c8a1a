package dev.portcullis.edge;

import dev.portcullis.edge.tls.PublicCertificate;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.join.JoinToken;
import dev.portcullis.protocol.link.ComponentStartup.StartupRefusedException;
import dev.portcullis.protocol.link.ComponentStartup;
import dev.portcullis.protocol.link.JoinTokenSource;
import dev.portcullis.protocol.link.SoftwareVersion;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** Command line of the edge-proxy process. Parses options, starts {@link EdgeProxy}, waits until it stops. */
@Command(name = "portcullis-edge-proxy", mixinStandardHelpOptions = true, versionProvider = EdgeProxyMain.Version.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = "The public HTTPS face of Portcullis. Core dials in over mTLS on the control address and "
                + "pulls users' requests over that stream; this process decides nothing and stores nothing except "
                + "its own credentials (in --state-dir).%n",
        footer = {
            "%nEnvironment:",
            "  " + JoinTokenSource.ENVIRONMENT_VARIABLE + "  the join token, if neither option gives it",
            "%nExit status: 0 stopped, 1 could not start, 2 bad usage, 3 revoked by core."})
public final class EdgeProxyMain implements Callable<Integer> {

    public static final int EXIT_STARTUP_FAILED = ComponentStartup.EXIT_STARTUP_FAILED;
    public static final int EXIT_REVOKED = ComponentStartup.EXIT_REVOKED;

    private static final Logger LOG = LoggerFactory.getLogger(EdgeProxyMain.class);

    @Option(names = "--control-listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:7443",
            description = "Where core dials in (gRPC over TLS; only core's certificate is accepted once adopted). Default: ${DEFAULT-VALUE}")
    String controlListen;

    @Option(names = "--public-listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8443",
            description = "Where users connect (HTTPS, TLS 1.2+). Default: ${DEFAULT-VALUE}")
    String publicListen;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "./.portcullis/edge-proxy",
            description = "This proxy's own keys and certificates (control link; self-signed public certificate), nothing "
                    + "else. Default: ${DEFAULT-VALUE}")
    Path stateDir;

    @Option(names = "--join-token", paramLabel = "TOKEN",
            description = "One-time join token from 'portcullis-admin component add'; needed only until adopted. "
                    + "Visible to other local users in the process list: prefer --join-token-file or "
                    + JoinTokenSource.ENVIRONMENT_VARIABLE + ".")
    String joinToken;

    @Option(names = "--join-token-file", paramLabel = "FILE", description = "File holding the join token (chmod 600).")
    Path joinTokenFile;

    @Option(names = "--public-tls-cert", paramLabel = "PEM",
            description = "Public certificate chain, leaf first. Without it a self-signed certificate is made once, kept "
                    + "in --state-dir (owner-only) and reused at every start, so the pin in invite links stays valid; its "
                    + "SHA-256 fingerprint and pin are logged.")
    Path publicTlsCert;

    @Option(names = "--public-tls-key", paramLabel = "PEM", description = "Unencrypted private key of --public-tls-cert.")
    Path publicTlsKey;

    @Spec
    CommandSpec spec;

    private final Map<String, String> environment;

    public EdgeProxyMain() {
        this(System.getenv());
    }

    /** @param environment where {@value JoinTokenSource#ENVIRONMENT_VARIABLE} is looked up */
    public EdgeProxyMain(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new EdgeProxyMain()).execute(args));
    }

    @Override
    public Integer call() {
        EdgeProxy proxy;
        try {
            proxy = EdgeProxy.start(config());
        } catch (StartupRefusedException e) {
            return fail(e.getMessage());
        } catch (IOException | RuntimeException e) {
            LOG.debug("start failed", e);
            return fail("cannot start: " + e.getMessage());
        }
        Runtime.getRuntime().addShutdownHook(new Thread(proxy::close, "shutdown"));
        EdgeProxy.Stop stop = proxy.stopped().join();
        return stop == EdgeProxy.Stop.REVOKED ? EXIT_REVOKED : 0;
    }

    /** Everything the options say, checked before anything is started or bound. */
    EdgeProxy.Config config() throws StartupRefusedException {
        InetSocketAddress control = ComponentStartup.listenAddress("--control-listen", controlListen);
        InetSocketAddress publicAddress = ComponentStartup.listenAddress("--public-listen", publicListen);
        Optional<JoinToken> token = ComponentStartup.joinToken(PeerIdentity.Role.EDGE_PROXY, joinToken, joinTokenFile,
                environment, stateDir);
        Clock clock = Clock.systemUTC();
        return new EdgeProxy.Config(control, publicAddress, stateDir, token, publicCertificate(publicAddress, clock),
                clock, SoftwareVersion.of("dev.portcullis", "portcullis-edge-proxy"));
    }

    private PublicCertificate publicCertificate(InetSocketAddress publicAddress, Clock clock) throws StartupRefusedException {
        if ((publicTlsCert == null) != (publicTlsKey == null)) {
            throw new StartupRefusedException("give both --public-tls-cert and --public-tls-key, "
                    + "or neither (for a self-signed certificate kept in --state-dir)");
        }
        if (publicTlsCert != null) {
            try {
                PublicCertificate operators = PublicCertificate.load(publicTlsCert, publicTlsKey, clock);
                LOG.info("serving the certificate chain in {}; invite links pin its topmost certificate as #ca={}",
                        publicTlsCert, operators.trustAnchorPinText());
                return operators;
            } catch (PublicCertificate.UnusableCertificateException e) {
                throw new StartupRefusedException(e.getMessage());
            }
        }
        Set<String> names = publicAddress.getAddress().isAnyLocalAddress()
                ? Set.of() : Set.of(publicAddress.getAddress().getHostAddress());
        try {
            PublicCertificate selfSigned = PublicCertificate.selfSigned(stateDir, names, clock);
            LOG.info("no --public-tls-cert given: serving the self-signed certificate kept in {} (valid until {}), "
                            + "SHA-256 fingerprint {}; invite links pin it as #ca={}", stateDir.resolve(PublicCertificate.SELF_SIGNED_FILE),
                    selfSigned.leaf().getNotAfter().toInstant(), selfSigned.sha256Fingerprint(), selfSigned.trustAnchorPinText());
            return selfSigned;
        } catch (PublicCertificate.UnusableCertificateException e) {
            throw new StartupRefusedException(e.getMessage());
        }
    }

    private int fail(String message) {
        spec.commandLine().getErr().println("portcullis-edge-proxy: " + message);
        spec.commandLine().getErr().flush();
        return EXIT_STARTUP_FAILED;
    }

    /** Reports the packaged version. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"portcullis-edge-proxy " + SoftwareVersion.of("dev.portcullis", "portcullis-edge-proxy")};
        }
    }
}
