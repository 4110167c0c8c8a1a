package dev.portcullis.gateway.admission;

import static dev.portcullis.gateway.admission.Peers.admission;
import static dev.portcullis.gateway.admission.Peers.eviction;
import static dev.portcullis.gateway.admission.Peers.newKey;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.portcullis.protocol.wireguard.PeerChanges;
import dev.portcullis.protocol.wireguard.PeerConfig;
import dev.portcullis.pki.wireguard.PresharedKey;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import dev.portcullis.protocol.link.ComponentHandler.ConfigRejectedException;
import dev.portcullis.protocol.v1.EvictionReason;
import dev.portcullis.protocol.v1.PeerAdmission;
import dev.portcullis.protocol.v1.PeerEviction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdmissionsTest {

    private static final Instant START = Instant.parse("2030-01-01T10:00:00Z");
    private static final Duration TICK = Duration.ofMillis(10);

    @TempDir
    Path stateDir;

    private final MutableClock clock = new MutableClock(START);
    private final FakeWireGuardDevice device = new FakeWireGuardDevice();
    private Admissions admissions;

    @BeforeEach
    void start() throws Exception {
        admissions = Admissions.start(device, new AdmissionStateFile(stateDir), clock, TICK);
    }

    @AfterEach
    void stop() {
        admissions.close();
    }

    @Test
    void snapshotRemovesStalePeersAddsMissingOnesUpdatesChangedOnesAndLeavesUnchangedOnesUntouched() throws Exception {
        WireGuardPublicKey unchanged = newKey();
        WireGuardPublicKey newPsk = newKey();
        WireGuardPublicKey newIps = newKey();
        WireGuardPublicKey stale = newKey();
        WireGuardPublicKey missing = newKey();
        PresharedKey unchangedPsk = PresharedKey.generate();
        PresharedKey newPskOld = PresharedKey.generate();
        PresharedKey newIpsPsk = PresharedKey.generate();
        Instant later = START.plus(Duration.ofHours(8));
        admissions.admit(admission(unchanged, unchangedPsk, later, "10.80.0.2/32"));
        admissions.admit(admission(newPsk, newPskOld, later, "10.80.0.3/32"));
        admissions.admit(admission(newIps, newIpsPsk, later, "10.80.0.4/32"));
        admissions.admit(admission(stale, PresharedKey.generate(), later, "10.80.0.5/32"));
        device.clearLog();

        PresharedKey rotated = PresharedKey.generate();
        PresharedKey missingPsk = PresharedKey.generate();
        Admissions.Reconciliation result = admissions.applySnapshot(List.of(
                // Same key and allowed IPs; only not_after moved, which the device does not hold.
                admission(unchanged, unchangedPsk, later.plusSeconds(60), "10.80.0.2/32"),
                admission(newPsk, rotated, later, "10.80.0.3/32"),
                admission(newIps, newIpsPsk, later, "10.80.0.4/32", "fd00::4/128"),
                admission(missing, missingPsk, later, "10.80.0.6/32")));

        assertThat(device.transactions()).as("one device transaction").hasSize(1);
        PeerChanges transaction = device.transactions().get(0);
        assertThat(transaction.upserts()).extracting(PeerConfig::publicKey)
                .containsExactlyInAnyOrder(newPsk, newIps, missing)
                .doesNotContain(unchanged);
        assertThat(transaction.removals()).containsExactly(stale);
        assertThat(result).isEqualTo(new Admissions.Reconciliation(1, 2, 1, 1));
        assertThat(device.keys()).containsExactlyInAnyOrder(unchanged, newPsk, newIps, missing);
        assertThat(device.peer(newPsk).orElseThrow().config().presharedKey()).isEqualTo(rotated);
        assertThat(device.peer(newIps).orElseThrow().config().allowedIps()).hasSize(2);
        assertThat(admissions.pendingEvictions(10)).singleElement().satisfies(eviction -> {
            assertThat(eviction.getPublicKey().toByteArray()).isEqualTo(stale.bytes());
            assertThat(eviction.getReason()).isEqualTo(EvictionReason.EVICTION_REASON_RECONCILED);
        });
    }

    @Test
    void aSnapshotIdenticalToTheDeviceChangesNothingOnIt() throws Exception {
        WireGuardPublicKey peer = newKey();
        PeerAdmission admitted = admission(peer, PresharedKey.generate(), START.plusSeconds(3600), "10.80.0.2/32");
        admissions.admit(admitted);
        device.clearLog();

        admissions.applySnapshot(List.of(admitted));

        assertThat(device.transactions()).isEmpty();
    }

    @Test
    void aMalformedSnapshotIsRefusedWholeAndTheDeviceIsNotTouched() throws Exception {
        WireGuardPublicKey kept = newKey();
        admissions.admit(admission(kept, PresharedKey.generate(), START.plusSeconds(3600), "10.80.0.2/32"));
        device.clearLog();

        assertThatThrownBy(() -> admissions.applySnapshot(List.of(
                admission(newKey(), PresharedKey.generate(), START.plusSeconds(3600), "10.80.0.3/32"),
                admission(newKey(), PresharedKey.generate(), START.plusSeconds(3600), "10.80.0.300/32"))))
                .isInstanceOf(ConfigRejectedException.class);

        assertThat(device.transactions()).isEmpty();
        assertThat(device.keys()).containsExactly(kept);
    }

    @Test
    void aPeerIsRemovedAtNotAfterByTheGatewayItselfWithNoCallFromCore() throws Exception {
        WireGuardPublicKey peer = newKey();
        WireGuardPublicKey other = newKey();
        admissions.admit(admission(peer, PresharedKey.generate(), START.plusSeconds(60), "10.80.0.2/32"));
        admissions.admit(admission(other, PresharedKey.generate(), START.plusSeconds(3600), "10.80.0.3/32"));

        clock.advance(Duration.ofSeconds(59));
        admissions.sweep(); // what the periodic sweep does, run now rather than waited for
        assertThat(device.keys()).as("still within not_after").contains(peer);

        clock.advance(Duration.ofSeconds(1));
        await(() -> !device.keys().contains(peer), "removed at not_after");

        assertThat(device.keys()).containsExactly(other);
        assertThat(admissions.isAdmitted(peer)).isFalse();
        assertThat(admissions.pendingEvictions(10)).singleElement().satisfies(eviction -> {
            assertThat(eviction.getPublicKey().toByteArray()).isEqualTo(peer.bytes());
            assertThat(eviction.getReason()).isEqualTo(EvictionReason.EVICTION_REASON_EXPIRED);
            assertThat(eviction.getEvictedAtUnixMillis()).isEqualTo(START.plusSeconds(60).toEpochMilli());
            assertThat(eviction.getSessionId()).startsWith("session-");
        });
    }

    @Test
    void anExpiredPeerIsRemovedBeforeTheNextChangeIsApplied() throws Exception {
        Admissions slow = Admissions.start(new FakeWireGuardDevice(), new AdmissionStateFile(stateDir.resolve("slow")), clock,
                Duration.ofHours(1));
        try {
            WireGuardPublicKey peer = newKey();
            slow.admit(admission(peer, PresharedKey.generate(), START.plusSeconds(60), "10.80.0.2/32"));
            clock.advance(Duration.ofSeconds(61));

            slow.admit(admission(newKey(), PresharedKey.generate(), START.plusSeconds(3600), "10.80.0.3/32"));

            assertThat(slow.isAdmitted(peer)).isFalse();
        } finally {
            slow.close();
        }
    }

    @Test
    void admitRefusesAnExpiredNotAfterABadKeyABadPresharedKeyABadCidrAndTooManyAllowedIps() {
        WireGuardPublicKey key = newKey();
        PresharedKey psk = PresharedKey.generate();
        Instant later = START.plusSeconds(3600);
        String[] tooMany = new String[Admission.MAX_ALLOWED_IPS_PER_PEER + 1];
        for (int i = 0; i < tooMany.length; i++) {
            tooMany[i] = "10.80.1." + i + "/32";
        }

        assertRefused(admission(key, psk, START, "10.80.0.2/32"), "expired");
        assertRefused(admission(key, psk, START.minusSeconds(1), "10.80.0.2/32"), "expired");
        assertRefused(admission(key, psk, START.plus(Duration.ofDays(400)), "10.80.0.2/32"), "days ahead");
        assertRefused(admission(key, psk, later, "10.80.0.2/32").toBuilder()
                .setPublicKey(ByteString.copyFrom(new byte[31])).build(), "32 bytes");
        assertRefused(admission(key, psk, later, "10.80.0.2/32").toBuilder()
                .setPresharedKey(ByteString.copyFrom(new byte[16])).build(), "preshared key");
        assertRefused(admission(key, psk, later, "10.80.0.256/32"), "allowed IP");
        assertRefused(admission(key, psk, later, "10.80.0.2/33"), "allowed IP");
        assertRefused(admission(key, psk, later, "example.com/32"), "allowed IP");
        assertRefused(admission(key, psk, later, "10.80.0.2"), "allowed IP");
        assertRefused(admission(key, psk, later), "allowed IPs");
        assertRefused(admission(key, psk, later, tooMany), "allowed IPs");

        assertThat(device.transactions()).isEmpty();
        assertThat(admissions.peerCount()).isZero();
    }

    @Test
    void aRefusalMessageNeverContainsThePresharedKey() {
        PresharedKey psk = PresharedKey.generate();
        assertThatThrownBy(() -> admissions.admit(admission(newKey(), psk, START.minusSeconds(1), "10.80.0.2/32")))
                .isInstanceOf(ConfigRejectedException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(psk.hex(),
                        Base64.getEncoder().encodeToString(psk.bytes())));
    }

    @Test
    void evictingAPeerTheGatewayDoesNotHaveIsHarmless() throws Exception {
        WireGuardPublicKey kept = newKey();
        admissions.admit(admission(kept, PresharedKey.generate(), START.plusSeconds(3600), "10.80.0.2/32"));

        admissions.evict(eviction(newKey()));

        assertThat(device.keys()).containsExactly(kept);
        assertThat(admissions.pendingEvictions(10)).as("core ordered it: nothing to report").isEmpty();
    }

    @Test
    void evictRemovesThePeerFromTheDeviceBeforeReturning() throws Exception {
        WireGuardPublicKey peer = newKey();
        admissions.admit(admission(peer, PresharedKey.generate(), START.plusSeconds(3600), "10.80.0.2/32"));

        admissions.evict(eviction(peer));

        assertThat(device.keys()).isEmpty();
        assertThat(admissions.isAdmitted(peer)).isFalse();
        assertThatThrownBy(() -> admissions.evict(PeerEviction.newBuilder().setPublicKey(ByteString.copyFrom(new byte[3])).build()))
                .isInstanceOf(ConfigRejectedException.class).hasMessageContaining("32 bytes");
    }

    @Test
    void aDeviceFailureIsRefusedWithASafeMessageAndTheNextSnapshotSetsThePeerAgain() throws Exception {
        WireGuardPublicKey peer = newKey();
        PresharedKey psk = PresharedKey.generate();
        PeerAdmission admitted = admission(peer, psk, START.plusSeconds(3600), "10.80.0.2/32");
        admissions.admit(admitted);
        PresharedKey rotated = PresharedKey.generate();
        device.failNext("uapi errno=-22");

        assertThatThrownBy(() -> admissions.admit(admission(peer, rotated, START.plusSeconds(3600), "10.80.0.2/32")))
                .isInstanceOf(ConfigRejectedException.class)
                .hasMessage("the gateway's WireGuard interface did not apply the change");
        device.clearLog();
        admissions.applySnapshot(List.of(admission(peer, rotated, START.plusSeconds(3600), "10.80.0.2/32")));

        assertThat(device.peer(peer).orElseThrow().config().presharedKey()).isEqualTo(rotated);
    }

    @Test
    void aRestartedGatewayEvictsExpiredAndUnknownPeersAtOnceAndKeepsRecordedOnesUntouched() throws Exception {
        WireGuardPublicKey live = newKey();
        WireGuardPublicKey expiring = newKey();
        PresharedKey livePsk = PresharedKey.generate();
        admissions.admit(admission(live, livePsk, START.plus(Duration.ofHours(8)), "10.80.0.2/32"));
        admissions.admit(admission(expiring, PresharedKey.generate(), START.plus(Duration.ofMinutes(5)), "10.80.0.3/32"));
        admissions.close();
        // The gateway process is down; the interface (and its peers) outlive it, and someone adds a peer.
        WireGuardPublicKey unknown = newKey();
        device.preload(unknown, PresharedKey.generate(), "10.80.0.9/32");
        clock.advance(Duration.ofMinutes(10));
        device.clearLog();

        admissions = Admissions.start(device, new AdmissionStateFile(stateDir), clock, TICK);

        assertThat(device.keys()).containsExactly(live);
        assertThat(device.transactions()).singleElement().satisfies(transaction -> {
            assertThat(transaction.upserts()).isEmpty();
            assertThat(transaction.removals()).containsExactlyInAnyOrder(expiring, unknown);
        });
        assertThat(admissions.pendingEvictions(10)).extracting(PeerEviction::getReason)
                .containsExactlyInAnyOrder(EvictionReason.EVICTION_REASON_EXPIRED, EvictionReason.EVICTION_REASON_RECONCILED);
        assertThat(admissions.isAdmitted(live)).isTrue();

        // Core's snapshot then decides; the engine does not know the key it set before, so it sets it again.
        device.clearLog();
        admissions.applySnapshot(List.of(admission(live, livePsk, START.plus(Duration.ofHours(8)), "10.80.0.2/32")));
        assertThat(device.transactions()).singleElement().satisfies(transaction ->
                assertThat(transaction.upserts()).extracting(PeerConfig::publicKey).containsExactly(live));
    }

    @Test
    void aRestoredPeerStillExpiresAtItsRecordedNotAfterWithoutCore() throws Exception {
        WireGuardPublicKey peer = newKey();
        admissions.admit(admission(peer, PresharedKey.generate(), START.plus(Duration.ofMinutes(5)), "10.80.0.2/32"));
        admissions.close();

        admissions = Admissions.start(device, new AdmissionStateFile(stateDir), clock, TICK);
        assertThat(device.keys()).containsExactly(peer);
        clock.advance(Duration.ofMinutes(5));

        await(() -> device.keys().isEmpty(), "expired after restart");
    }

    @Test
    void aDamagedStateFileMakesARestartedGatewayTrustNoPeer() throws Exception {
        WireGuardPublicKey peer = newKey();
        admissions.admit(admission(peer, PresharedKey.generate(), START.plus(Duration.ofHours(1)), "10.80.0.2/32"));
        admissions.close();
        Files.writeString(stateDir.resolve(AdmissionStateFile.FILE_NAME), "garbage\n");

        admissions = Admissions.start(device, new AdmissionStateFile(stateDir), clock, TICK);

        assertThat(device.keys()).isEmpty();
    }

    @Test
    void theStateFileHoldsNoPresharedKeyInAnyEncoding() throws Exception {
        PresharedKey psk = PresharedKey.generate();
        WireGuardPublicKey peer = newKey();
        admissions.admit(admission(peer, psk, START.plus(Duration.ofHours(1)), "10.80.0.2/32"));
        admissions.applySnapshot(List.of(admission(peer, psk, START.plus(Duration.ofHours(2)), "10.80.0.2/32")));
        admissions.close();

        Path file = stateDir.resolve(AdmissionStateFile.FILE_NAME);
        byte[] raw = Files.readAllBytes(file);
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        assertThat(text).contains(peer.base64());
        assertThat(text).doesNotContain(new String(psk.bytes(), StandardCharsets.ISO_8859_1));
        assertThat(text.toLowerCase()).doesNotContain(HexFormat.of().formatHex(psk.bytes()));
        assertThat(text).doesNotContain(Base64.getEncoder().encodeToString(psk.bytes()),
                Base64.getUrlEncoder().withoutPadding().encodeToString(psk.bytes()));
        assertThat(Files.getPosixFilePermissions(file)).extracting(Object::toString)
                .containsExactlyInAnyOrder("OWNER_READ", "OWNER_WRITE");
    }

    @Test
    void admitReturnsOnlyOnceTheDeviceHasThePeer() throws Exception {
        WireGuardPublicKey peer = newKey();
        device.block();
        Thread caller = new Thread(() -> {
            try {
                admissions.admit(admission(peer, PresharedKey.generate(), START.plusSeconds(3600), "10.80.0.2/32"));
            } catch (ConfigRejectedException e) {
                throw new AssertionError(e);
            }
        });
        caller.start();

        assertThat(device.awaitBlocked()).isTrue();
        caller.join(200);
        assertThat(caller.isAlive()).as("admit still waiting for the device").isTrue();
        device.release();
        caller.join(TimeUnit.SECONDS.toMillis(10));
        assertThat(caller.isAlive()).isFalse();
        assertThat(device.keys()).containsExactly(peer);
    }

    private void assertRefused(PeerAdmission admission, String reason) {
        assertThatThrownBy(() -> admissions.admit(admission))
                .isInstanceOf(ConfigRejectedException.class)
                .hasMessageContaining(reason);
    }

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting: " + what);
            }
            Thread.sleep(5);
        }
    }
}
