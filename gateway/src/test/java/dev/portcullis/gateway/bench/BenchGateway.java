package dev.portcullis.gateway.bench;

import dev.portcullis.gateway.admission.AdmissionStateFile;
import dev.portcullis.gateway.admission.Admissions;
import dev.portcullis.gateway.testnet.TestNetwork;
import dev.portcullis.protocol.wireguard.DeviceException;
import dev.portcullis.protocol.wireguard.WireGuardDevice;
import dev.portcullis.protocol.wireguard.WireGuardInterfaces;
import dev.portcullis.protocol.wireguard.WireGuardInterfaces.Implementation;
import dev.portcullis.pki.wireguard.WireGuardPrivateKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The gateway's data plane as {@code GatewayMain} builds it, in a namespace of a {@link TestNetwork}:
 * a wireguard-go interface opened through {@link WireGuardInterfaces}, given its key, port,
 * address and MTU, and the real {@link Admissions} engine over it with its state file in a
 * temporary directory. Closing stops the engine and deletes the state directory; the interface
 * goes with the namespace when the network closes.
 */
final class BenchGateway implements AutoCloseable {

    static final int LISTEN_PORT = 51820;
    static final String TUNNEL_ADDRESS = "10.127.255.254/10";
    static final int MTU = 1420;

    final String interfaceName;
    final WireGuardPrivateKey privateKey = WireGuardPrivateKey.generate();
    final WireGuardDevice device;
    final Admissions admissions;
    private final Path stateDirectory;

    BenchGateway(TestNetwork network, TestNetwork.Namespace namespace, String suffix) throws DeviceException, IOException {
        interfaceName = network.interfaceName(suffix);
        device = WireGuardInterfaces.open(interfaceName, Implementation.USERSPACE, namespace.name());
        device.configure(privateKey, LISTEN_PORT);
        WireGuardInterfaces.configureLink(interfaceName, List.of(TUNNEL_ADDRESS), MTU, namespace.name());
        stateDirectory = Files.createTempDirectory("portcullis-bench-gw");
        admissions = Admissions.start(device, new AdmissionStateFile(stateDirectory), Clock.systemUTC());
    }

    @Override
    public void close() {
        admissions.close();
        device.close();
        try (Stream<Path> files = Files.walk(stateDirectory)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a leftover list of public keys in the temporary directory holds no secrets
        }
    }
}
