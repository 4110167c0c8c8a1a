package dev.portcullis.compliance;

import dev.portcullis.compliance.evidence.TunnelTarget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The tunnel controls of a throwaway {@link SegmentedDeployment}, broken on purpose for
 * {@link BrokenControlsTest}: each is the enrolled device as the tunnel checks see it, with one
 * thing done behind the checks' back, the way a bug, an admin or someone with the database or root
 * on the gateway would do it. Nothing here changes what a check is told; each break changes the
 * deployment.
 */
final class BrokenTunnels {

    private BrokenTunnels() {
    }

    /**
     * Breaks "no tunnel without MFA" the way an admin can: {@code peer admit LOCATION --public-key KEY
     * --allowed-ip IP --lifetime 10m}, so the device's key is a gateway peer with no second factor.
     * Returns the CLI's first line; the preshared key it prints after it is never kept.
     */
    static String admitWithoutMfa(SegmentedDeployment deployment, SegmentedDevice device) throws Exception {
        Quickstart.Result admitted = deployment.admin("peer", "admit", device.location(), "--public-key", device.deviceKey(),
                "--allowed-ip", deployment.options.poolPrefix() + ".250/32", "--lifetime", "10m");
        String first = admitted.output().strip().lines().findFirst().orElse("");
        if (admitted.exitCode() != 0) {
            throw new AssertionError("peer admit exited " + admitted.exitCode() + ": " + first);
        }
        return first;
    }

    /**
     * After each {@code up} core accepted, the user's spent TOTP step is erased
     * ({@code UPDATE totp_credentials SET last_used_step = NULL}), so core no longer knows a code was used.
     */
    static final class ForgettingSpentCodes extends Forwarding {
        private int erasures;

        ForgettingSpentCodes(SegmentedDeployment deployment, SegmentedDevice device) {
            super(deployment, device);
        }

        @Override
        public AgentRun up(String code) throws Exception {
            AgentRun result = super.up(code);
            if (result.exitCode() == 0) {
                try (Connection db = deployment.database(); PreparedStatement forget = db.prepareStatement(
                        "UPDATE totp_credentials SET last_used_step = NULL WHERE user_id = (SELECT id FROM users WHERE name = ?)")) {
                    forget.setString(1, device.user());
                    if (forget.executeUpdate() != 1) {
                        throw new IllegalStateException("no TOTP credential of " + device.user());
                    }
                    erasures++;
                }
            }
            return result;
        }

        int erasures() {
            return erasures;
        }
    }

    /** After each {@code up}, core's failure counters are deleted ({@code DELETE FROM mfa_failures}): no delay, no lock. */
    static final class WithoutFailureCounts extends Forwarding {
        private int erased;

        WithoutFailureCounts(SegmentedDeployment deployment, SegmentedDevice device) {
            super(deployment, device);
        }

        @Override
        public AgentRun up(String code) throws Exception {
            AgentRun result = super.up(code);
            try (Connection db = deployment.database(); PreparedStatement forget = db.prepareStatement("DELETE FROM mfa_failures")) {
                erased += forget.executeUpdate();
            }
            return result;
        }

        int erasedRows() {
            return erased;
        }
    }

    /**
     * A gateway that does not enforce expiry, made by hand with root on the gateway host: when core
     * stops, the device's peer (allowed IPs and preshared key from {@code wg show}) is remembered and
     * a watcher puts it back with {@code wg set IFACE peer KEY allowed-ips IPS preshared-key FILE}
     * within {@link #WATCH_INTERVAL} of the gateway removing it. Before core starts again the watcher
     * stops and the peer is removed. The preshared key only sits in an owner-only file, deleted after.
     */
    static final class IgnoringExpiry extends Forwarding {
        static final Duration WATCH_INTERVAL = Duration.ofMillis(50);

        private final List<Instant> putBack = Collections.synchronizedList(new ArrayList<>());
        private volatile boolean watching;
        private Thread watcher;
        private Path presharedKeyFile;

        IgnoringExpiry(SegmentedDeployment deployment, SegmentedDevice device) {
            super(deployment, device);
        }

        @Override
        public void stopCore() throws Exception {
            super.stopCore();
            String allowedIps = field(wg("show", deployment.gatewayInterface, "allowed-ips")).replace(' ', ',');
            Path keyFile = Files.createTempFile(deployment.work, "put-back", ".psk",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            presharedKeyFile = keyFile;
            Files.writeString(keyFile, field(wg("show", deployment.gatewayInterface, "preshared-keys")) + "\n");
            watching = true;
            watcher = new Thread(() -> {
                while (watching) {
                    dev.portcullis.gateway.testnet.TestNetwork.Result peers =
                            deployment.net.tryExec(deployment.dmz, "wg", "show", deployment.gatewayInterface, "peers");
                    if (peers.exitCode() == 0 && !peers.output().contains(device.deviceKey())) {
                        deployment.net.tryExec(deployment.dmz, "wg", "set", deployment.gatewayInterface, "peer",
                                device.deviceKey(), "allowed-ips", allowedIps, "preshared-key", keyFile.toString());
                        putBack.add(Instant.now());
                    }
                    try {
                        Thread.sleep(WATCH_INTERVAL.toMillis());
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "put-back-expired-peer");
            watcher.setDaemon(true);
            watcher.start();
        }

        @Override
        public void startCore() throws Exception {
            stopWatching();
            super.startCore();
        }

        /** Stops the watcher, takes the hand-made peer off the gateway and deletes the key file. */
        void stopWatching() throws Exception {
            watching = false;
            if (watcher != null) {
                watcher.join(10_000);
                watcher = null;
                deployment.net.tryExec(deployment.dmz, "wg", "set", deployment.gatewayInterface, "peer", device.deviceKey(), "remove");
            }
            if (presharedKeyFile != null) {
                Files.deleteIfExists(presharedKeyFile);
                presharedKeyFile = null;
            }
        }

        List<Instant> putBack() {
            synchronized (putBack) {
                return List.copyOf(putBack);
            }
        }

        private String wg(String... arguments) {
            List<String> line = new ArrayList<>(List.of("wg"));
            line.addAll(List.of(arguments));
            return deployment.net.exec(deployment.dmz, line.toArray(String[]::new));
        }

        /** The device's value in a {@code wg show IFACE FIELD} listing ("KEY\tVALUE" lines). */
        private String field(String listing) {
            for (String line : listing.strip().split("\n")) {
                String[] parts = line.strip().split("\t", 2);
                if (parts.length == 2 && parts[0].equals(device.deviceKey())) {
                    return parts[1].strip();
                }
            }
            throw new IllegalStateException("the device key is no peer of the gateway when core stopped");
        }
    }

    /** The device as it is; the breaks override what they change. */
    static class Forwarding implements TunnelTarget {
        final SegmentedDeployment deployment;
        final SegmentedDevice device;

        Forwarding(SegmentedDeployment deployment, SegmentedDevice device) {
            this.deployment = deployment;
            this.device = device;
        }

        @Override
        public String location() {
            return device.location();
        }

        @Override
        public String user() {
            return device.user();
        }

        @Override
        public String deviceKey() {
            return device.deviceKey();
        }

        @Override
        public AgentRun up(String code) throws Exception {
            return device.up(code);
        }

        @Override
        public AgentRun down() throws Exception {
            return device.down();
        }

        @Override
        public String freshCode() throws Exception {
            return device.freshCode();
        }

        @Override
        public String wrongCode() throws Exception {
            return device.wrongCode();
        }

        @Override
        public List<String> gatewayPeers() throws Exception {
            return device.gatewayPeers();
        }

        @Override
        public boolean reachesServiceBehindGateway(Duration wait) throws Exception {
            return device.reachesServiceBehindGateway(wait);
        }

        @Override
        public long handshakeWithTheDeviceKeyAlone() throws Exception {
            return device.handshakeWithTheDeviceKeyAlone();
        }

        @Override
        public List<String> auditActionsAboutUser() throws Exception {
            return device.auditActionsAboutUser();
        }

        @Override
        public Instant liveSessionNotAfter() throws Exception {
            return device.liveSessionNotAfter();
        }

        @Override
        public void setSessionLifetime(String lifetime) throws Exception {
            device.setSessionLifetime(lifetime);
        }

        @Override
        public void unlockUser() throws Exception {
            device.unlockUser();
        }

        @Override
        public void stopCore() throws Exception {
            device.stopCore();
        }

        @Override
        public void startCore() throws Exception {
            device.startCore();
        }
    }
}
