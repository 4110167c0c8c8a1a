package dev.portcullis.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.portcullis.gateway.admission.AdmissionStateFile;
import dev.portcullis.gateway.admission.Admissions;
import dev.portcullis.gateway.settings.GatewaySettingsHolder;
import dev.portcullis.gateway.settings.TunnelLink;
import dev.portcullis.pki.wireguard.PresharedKey;
import dev.portcullis.pki.wireguard.WireGuardPrivateKey;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import dev.portcullis.protocol.link.ComponentHandler.ConfigRejectedException;
import dev.portcullis.protocol.v1.AclPolicy;
import dev.portcullis.protocol.v1.AclRule;
import dev.portcullis.protocol.v1.ComponentConfig;
import dev.portcullis.protocol.v1.ConfigUpdate;
import dev.portcullis.protocol.v1.GatewaySettings;
import dev.portcullis.protocol.v1.Hello;
import dev.portcullis.protocol.v1.PeerAdmission;
import dev.portcullis.protocol.v1.PeerEviction;
import dev.portcullis.protocol.v1.WireGuardSettings;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What core's messages do to the data plane, with an in-memory device and firewall. */
class GatewayControlHandlerTest {

    @TempDir
    Path stateDir;

    private final FakeDataPlane dataPlane = new FakeDataPlane();
    private final GatewaySettingsHolder settings = new GatewaySettingsHolder();
    private final WireGuardPublicKey gatewayKey = WireGuardPrivateKey.generate().publicKey();
    private Admissions admissions;
    private GatewayControlHandler handler;

    @BeforeEach
    void start() throws Exception {
        admissions = Admissions.start(dataPlane.device, new AdmissionStateFile(stateDir), Clock.systemUTC());
        handler = new GatewayControlHandler(settings, dataPlane, admissions, gatewayKey, 51999, () -> { }, reason -> { });
    }

    @AfterEach
    void stop() {
        admissions.close();
    }

    @Test
    void helloCarriesTheGatewaysWireGuardPublicKeyAndListenPort() {
        Hello.Builder hello = Hello.newBuilder();

        handler.describe(hello);

        assertThat(hello.getWireguardPublicKey().toByteArray()).isEqualTo(gatewayKey.bytes());
        assertThat(hello.getWireguardListenPort()).isEqualTo(51999);
    }

    @Test
    void applyUpdateReturnsOnlyAfterTheDeviceAppliedTheAdmission() throws Exception {
        WireGuardPublicKey peer = WireGuardPrivateKey.generate().publicKey();
        dataPlane.device.block();

        CompletableFuture<Void> applying = CompletableFuture.runAsync(() -> {
            try {
                handler.applyUpdate(update(1, 2).setAdmit(admission(peer)).build());
            } catch (ConfigRejectedException e) {
                throw new IllegalStateException(e);
            }
        });

        assertThat(dataPlane.device.awaitBlocked()).isTrue();
        assertThatThrownBy(() -> applying.get(300, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
        assertThat(dataPlane.device.keys()).doesNotContain(peer);
        dataPlane.device.release();
        applying.get(10, TimeUnit.SECONDS);
        assertThat(dataPlane.device.keys()).containsExactly(peer);
        assertThat(settings.current().version()).isEqualTo(2);
    }

    @Test
    void applyUpdateReturnsOnlyAfterTheDeviceAppliedTheEviction() throws Exception {
        WireGuardPublicKey peer = WireGuardPrivateKey.generate().publicKey();
        handler.applyUpdate(update(0, 1).setAdmit(admission(peer)).build());
        dataPlane.device.block();

        CompletableFuture<Void> applying = CompletableFuture.runAsync(() -> {
            try {
                handler.applyUpdate(update(1, 2).setEvict(PeerEviction.newBuilder()
                        .setPublicKey(ByteString.copyFrom(peer.bytes()))).build());
            } catch (ConfigRejectedException e) {
                throw new IllegalStateException(e);
            }
        });

        assertThat(dataPlane.device.awaitBlocked()).isTrue();
        assertThatThrownBy(() -> applying.get(300, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
        dataPlane.device.release();
        applying.get(10, TimeUnit.SECONDS);
        assertThat(dataPlane.device.keys()).isEmpty();
    }

    @Test
    void aSnapshotSetsTheInterfaceTheAclAndExactlyCoresPeers() throws Exception {
        WireGuardPublicKey peer = WireGuardPrivateKey.generate().publicKey();
        AclPolicy acl = AclPolicy.newBuilder().setRevision(9).addRules(AclRule.newBuilder()
                .addSources("10.80.0.0/24").addDestinations("192.168.10.0/24")).build();

        handler.applyConfig(ComponentConfig.newBuilder().setVersion(4).setGateway(GatewaySettings.newBuilder()
                .setLocation("eu-central")
                .setWireguard(WireGuardSettings.newBuilder().addAddresses("10.80.0.1/24"))
                .addPeers(admission(peer))
                .setAcl(acl)).build());

        assertThat(dataPlane.links).containsExactly(new TunnelLink(List.of("10.80.0.1/24"), TunnelLink.DEFAULT_MTU));
        assertThat(dataPlane.policies).containsExactly(acl);
        assertThat(dataPlane.device.keys()).containsExactly(peer);
        assertThat(settings.current().version()).isEqualTo(4);
        assertThat(settings.current().location()).isEqualTo("eu-central");
    }

    @Test
    void anAclUpdateReplacesThePolicyAndARefusedOneKeepsTheOldAndTheVersion() throws Exception {
        AclPolicy first = AclPolicy.newBuilder().setRevision(1).build();
        handler.applyUpdate(update(0, 1).setAcl(first).build());

        AclPolicy bad = AclPolicy.newBuilder().setRevision(2).addRules(AclRule.newBuilder().addDestinations("not-a-cidr")).build();
        assertThatThrownBy(() -> handler.applyUpdate(update(1, 2).setAcl(bad).build()))
                .isInstanceOf(ConfigRejectedException.class).hasMessageContaining("revision 2");

        assertThat(dataPlane.aclRevision()).hasValue(1);
        assertThat(settings.current().version()).isEqualTo(1);
    }

    @Test
    void unusableInterfaceSettingsAreRefusedBeforeAnythingChanges() {
        WireGuardPublicKey peer = WireGuardPrivateKey.generate().publicKey();

        assertThatThrownBy(() -> handler.applyConfig(ComponentConfig.newBuilder().setVersion(4).setGateway(GatewaySettings.newBuilder()
                .setWireguard(WireGuardSettings.newBuilder().addAddresses("10.80.0.1/24").setMtu(100))
                .addPeers(admission(peer))).build()))
                .isInstanceOf(ConfigRejectedException.class).hasMessageContaining("MTU");

        assertThat(dataPlane.links).isEmpty();
        assertThat(dataPlane.policies).isEmpty();
        assertThat(dataPlane.device.keys()).isEmpty();
    }

    private static ConfigUpdate.Builder update(long base, long version) {
        return ConfigUpdate.newBuilder().setBaseVersion(base).setVersion(version);
    }

    private static PeerAdmission admission(WireGuardPublicKey peer) {
        return PeerAdmission.newBuilder().setPublicKey(ByteString.copyFrom(peer.bytes()))
                .setPresharedKey(ByteString.copyFrom(PresharedKey.generate().bytes()))
                .addAllowedIps("10.80.0.2/32")
                .setNotAfterUnixMillis(Instant.now().plus(Duration.ofHours(1)).toEpochMilli())
                .setSessionId("s-1").build();
    }
}
