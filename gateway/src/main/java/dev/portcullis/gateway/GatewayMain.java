package dev.portcullis.gateway;

import dev.portcullis.protocol.wireguard.WireGuardInterfaces;
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
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** Command line of the gateway process. Parses options, starts {@link Gateway}, waits until it stops. */
@Command(name = "portcullis-gateway", mixinStandardHelpOptions = true, versionProvider = GatewayMain.Version.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = "A Portcullis gateway for one location. Core dials in over mTLS on the control address and pushes "
                + "configuration and admits devices as WireGuard peers while their MFA session lasts. In --state-dir it "
                + "keeps only its own credentials, its WireGuard private key and the admitted peers' public keys with "
                + "their expiry (never a preshared key). Needs CAP_NET_ADMIN (interface, nftables).%n",
        footer = {
            "%nEnvironment:",
            "  " + JoinTokenSource.ENVIRONMENT_VARIABLE + "  the join token, if neither option gives it",
            "%nExit status: 0 stopped, 1 could not start, 2 bad usage, 3 revoked by core."})
public final class GatewayMain implements Callable<Integer> {

    public static final int EXIT_STARTUP_FAILED = ComponentStartup.EXIT_STARTUP_FAILED;
    public static final int EXIT_REVOKED = ComponentStartup.EXIT_REVOKED;

    private static final Logger LOG = LoggerFactory.getLogger(GatewayMain.class);

    @Option(names = "--control-listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:7444",
            description = "Where core dials in (gRPC over TLS; only core's certificate is accepted once adopted). Default: ${DEFAULT-VALUE}")
    String controlListen;

    @Option(names = "--health-listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:9444",
            description = "Local health endpoint, plain HTTP (GET /healthz); keep it on loopback. Default: ${DEFAULT-VALUE}")
    String healthListen;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "./.portcullis/gateway",
            description = "This gateway's link key and certificates, WireGuard private key and admitted-peer list (no "
                    + "preshared keys). Default: ${DEFAULT-VALUE}")
    Path stateDir;

    @Option(names = "--join-token", paramLabel = "TOKEN",
            description = "One-time join token from 'portcullis-admin component add'; needed only until adopted. "
                    + "Visible to other local users in the process list: prefer --join-token-file or "
                    + JoinTokenSource.ENVIRONMENT_VARIABLE + ".")
    String joinToken;

    @Option(names = "--join-token-file", paramLabel = "FILE", description = "File holding the join token (chmod 600).")
    Path joinTokenFile;

    @Option(names = "--wg-interface", paramLabel = "NAME", defaultValue = "pcgw0",
            description = "WireGuard interface this gateway creates or takes over (at most 15 characters). Its peers "
                    + "outlive a restart; expired and unknown ones are removed at start. Default: ${DEFAULT-VALUE}")
    String wgInterface;

    @Option(names = "--wg-listen-port", paramLabel = "PORT", defaultValue = "51820",
            description = "UDP port devices reach the WireGuard interface on; sent to core. Default: ${DEFAULT-VALUE}")
    int wgListenPort;

    @Option(names = "--wg-implementation", paramLabel = "auto|userspace|kernel", defaultValue = "auto",
            description = "kernel: the kernel module (driven with wg); userspace: wireguard-go over its UAPI socket; "
                    + "auto: the kernel module if loaded, else wireguard-go. Default: ${DEFAULT-VALUE}")
    String wgImplementation;

    @Spec
    CommandSpec spec;

    private final Map<String, String> environment;

    public GatewayMain() {
        this(System.getenv());
    }

    /** @param environment where {@value JoinTokenSource#ENVIRONMENT_VARIABLE} is looked up */
    public GatewayMain(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new GatewayMain()).execute(args));
    }

    @Override
    public Integer call() {
        Gateway gateway;
        try {
            gateway = Gateway.start(config());
        } catch (StartupRefusedException e) {
            return fail(e.getMessage());
        } catch (IOException | RuntimeException e) {
            LOG.debug("start failed", e);
            return fail("cannot start: " + e.getMessage());
        }
        Runtime.getRuntime().addShutdownHook(new Thread(gateway::close, "shutdown"));
        Gateway.Stop stop = gateway.stopped().join();
        return stop == Gateway.Stop.REVOKED ? EXIT_REVOKED : 0;
    }

    /** Everything the options say, checked before anything is started or bound. */
    Gateway.Config config() throws StartupRefusedException {
        InetSocketAddress control = ComponentStartup.listenAddress("--control-listen", controlListen);
        InetSocketAddress health = ComponentStartup.listenAddress("--health-listen", healthListen);
        WireGuardInterfaces.Implementation implementation = implementation();
        if (wgListenPort < 1 || wgListenPort > 65_535) {
            throw new StartupRefusedException("--wg-listen-port: must be between 1 and 65535");
        }
        Optional<JoinToken> token = ComponentStartup.joinToken(PeerIdentity.Role.GATEWAY, joinToken, joinTokenFile,
                environment, stateDir);
        return new Gateway.Config(control, health, stateDir, token, Clock.systemUTC(),
                SoftwareVersion.of("dev.portcullis", "portcullis-gateway"), wgListenPort,
                HostDataPlane.opener(wgInterface, implementation));
    }

    private WireGuardInterfaces.Implementation implementation() throws StartupRefusedException {
        return switch (wgImplementation.toLowerCase(Locale.ROOT)) {
            case "auto" -> WireGuardInterfaces.Implementation.AUTO;
            case "userspace" -> WireGuardInterfaces.Implementation.USERSPACE;
            case "kernel" -> WireGuardInterfaces.Implementation.KERNEL;
            default -> throw new StartupRefusedException("--wg-implementation: must be auto, userspace or kernel");
        };
    }

    private int fail(String message) {
        spec.commandLine().getErr().println("portcullis-gateway: " + message);
        spec.commandLine().getErr().flush();
        return EXIT_STARTUP_FAILED;
    }

    /** Reports the packaged version. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"portcullis-gateway " + SoftwareVersion.of("dev.portcullis", "portcullis-gateway")};
        }
    }
}
