package dev.portcullis.core.enroll;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.portcullis.core.audit.Actor;
import dev.portcullis.core.audit.AuditLog;
import dev.portcullis.core.audit.SecurityEvents;
import dev.portcullis.core.component.ComponentRegistry;
import dev.portcullis.core.component.ComponentSettings;
import dev.portcullis.core.component.EdgeProxyReports;
import dev.portcullis.core.component.MutableClock;
import dev.portcullis.core.identity.Devices;
import dev.portcullis.core.identity.Groups;
import dev.portcullis.core.identity.TunnelEvictions;
import dev.portcullis.core.identity.User;
import dev.portcullis.core.identity.Users;
import dev.portcullis.core.invite.Invites;
import dev.portcullis.core.link.ComponentRecord;
import dev.portcullis.core.location.Admissions;
import dev.portcullis.core.location.FakeGatewayLinks;
import dev.portcullis.core.location.GatewayReports;
import dev.portcullis.core.location.Location;
import dev.portcullis.core.location.LocationStore;
import dev.portcullis.core.location.Locations;
import dev.portcullis.core.location.UpdateOrder;
import dev.portcullis.core.mail.OutboxMailSender;
import dev.portcullis.core.publicapi.PublicApi;
import dev.portcullis.core.store.Database;
import dev.portcullis.core.store.TestPostgres;
import dev.portcullis.pki.authority.CertificateAuthority;
import dev.portcullis.pki.authority.MasterKey;
import dev.portcullis.pki.authority.Sealer;
import dev.portcullis.pki.cert.CertificateRequest;
import dev.portcullis.pki.cert.KeyPairs;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import dev.portcullis.protocol.v1.ComponentKind;
import dev.portcullis.protocol.v1.Hello;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Core's identity and enrollment on a fresh real PostgreSQL: registry, locations, users, invites and
 * the public enrollment API behind {@link PublicApi}, a clock the test moves, gateways faked at the
 * link (they acknowledge every push) and mail written to a temporary outbox.
 */
public final class EnrollmentFixture implements AutoCloseable {

    public static final String ORIGIN = "https://access.example.com";
    public static final Actor ADMIN = Actor.admin("test", "127.0.0.1");

    public final MutableClock clock = MutableClock.startingNow();
    public final Database database = TestPostgres.freshDatabase().open();
    public final CertificateAuthority ca = CertificateAuthority.create("test CA", clock);
    public final Sealer sealer = new Sealer(MasterKey.generate());
    public final LocationStore store = new LocationStore(database, sealer);
    public final AuditLog auditLog = AuditLog.start(database, clock);
    public final SecurityEvents events = new SecurityEvents(auditLog);
    public final ComponentRegistry registry = new ComponentRegistry(database, ca, clock, Duration.ofHours(1), store, events);
    public final FakeGatewayLinks links = new FakeGatewayLinks();
    public final Admissions admissions = new Admissions(database, store, links, new UpdateOrder(), clock, events,
            Duration.ofMillis(500));
    public final Locations locations = new Locations(database, clock, events);
    public final TunnelEvictions evictions = new TunnelEvictions(store, admissions, clock, events);
    public final Users users = new Users(database, clock, events, evictions);
    public final Groups groups = new Groups(database, clock, events);
    public final Devices devices = new Devices(database, clock, events, evictions);
    public final Invites invites = new Invites(database, registry, clock, events);
    public final Path outbox;
    public final OutboxMailSender mail;
    private final ExecutorService mailWork = Executors.newSingleThreadExecutor();
    public final EnrollmentEndpoints endpoints;
    public final PublicApi api;
    public final ComponentRecord edge;

    public EnrollmentFixture() {
        this(EnrollmentEndpoints.Limits.defaults());
    }

    public EnrollmentFixture(EnrollmentEndpoints.Limits limits) {
        try {
            outbox = Files.createTempDirectory("portcullis-outbox").resolve("outbox");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        mail = new OutboxMailSender(outbox, "portcullis@example.com", clock);
        endpoints = EnrollmentEndpoints.create(database, clock, sealer, events, locations, devices, registry, mail, mailWork,
                limits);
        api = new PublicApi(endpoints);
        edge = edgeProxy("edge-1", ORIGIN);
    }

    /** An adopted edge-proxy with a public origin that reported a random pin; its link record. */
    public ComponentRecord edgeProxy(String name, String origin) {
        String id = registry.register(name, PeerIdentity.Role.EDGE_PROXY, "127.0.0.1", 7443).componentId();
        registry.updateSettings(name, new ComponentSettings.Change(Optional.of(origin), Optional.empty(), Optional.empty(),
                Optional.empty()));
        adopt(id, PeerIdentity.Role.EDGE_PROXY);
        byte[] pin = new byte[32];
        new SecureRandom().nextBytes(pin);
        new EdgeProxyReports(database, clock, Runnable::run).hello(id, Hello.newBuilder()
                .setKind(ComponentKind.COMPONENT_KIND_EDGE_PROXY).setComponentId(id)
                .setPublicTrustAnchorSha256(ByteString.copyFrom(pin)).build());
        return registry.byName(name).orElseThrow().record();
    }

    /** An adopted gateway of {@code location} that reported its WireGuard key and port; returns its key. */
    public WireGuardPublicKey gateway(String name, String location, String tunnelAddress, String host, int port, int mtu) {
        String id = registry.register(name, PeerIdentity.Role.GATEWAY, host, 7443).componentId();
        registry.updateSettings(name, new ComponentSettings.Change(Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.of(location), Optional.of(List.of(tunnelAddress)), Optional.of(mtu)));
        adopt(id, PeerIdentity.Role.GATEWAY);
        WireGuardPublicKey key = randomKey();
        new GatewayReports(database, clock, Runnable::run).hello(id, Hello.newBuilder()
                .setKind(ComponentKind.COMPONENT_KIND_GATEWAY).setComponentId(id)
                .setWireguardPublicKey(ByteString.copyFrom(key.bytes())).setWireguardListenPort(port).build());
        return key;
    }

    private void adopt(String id, PeerIdentity.Role role) {
        registry.certificateIssued(id, ca.issueComponent(CertificateRequest.create(KeyPairs.generate(), "component"),
                PeerIdentity.component(role, id), List.of("127.0.0.1"), Duration.ofDays(7)));
    }

    public Location location(String name, String pool, List<String> mfa, List<String> groups) {
        return locations.create(new Locations.NewLocation(name, pool, List.of("10.8.0.1"), List.of("192.168.50.0/24"), mfa,
                Optional.empty(), Optional.empty(), false, groups), ADMIN);
    }

    public User user(String name) {
        return users.create(new Users.NewUser(name, name + "@example.com", Optional.of(name.substring(0, 1).toUpperCase()
                + name.substring(1) + " Example"), List.of()), ADMIN);
    }

    /** A fresh invite's token text (43 characters), as the link carries it. */
    public String inviteToken(String user) {
        return invites.issue(user, Optional.empty(), Optional.empty(), ADMIN).link().tokenText();
    }

    public PublicClient browser() {
        return browser("203.0.113.7");
    }

    public PublicClient browser(String clientAddress) {
        return new PublicClient(api, edge, ORIGIN, clientAddress);
    }

    /** A browser that redeemed a fresh invite of {@code user}: it holds the cookie and the CSRF value. */
    public PublicClient redeemed(String user) {
        PublicClient browser = browser();
        PublicClient.Answer answer = browser.post("/api/v1/enroll/redeem", "{\"token\":\"" + inviteToken(user) + "\"}");
        assertThat(answer.status()).as(answer.body()).isEqualTo(200);
        return browser;
    }

    public static WireGuardPublicKey randomKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return WireGuardPublicKey.fromBytes(key);
    }

    @Override
    public void close() {
        mailWork.shutdownNow();
        try {
            mailWork.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        auditLog.close();
        database.close();
    }
}
