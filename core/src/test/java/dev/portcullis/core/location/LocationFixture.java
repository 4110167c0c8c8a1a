package dev.portcullis.core.location;

import dev.portcullis.core.audit.AuditLog;
import dev.portcullis.core.audit.SecurityEvents;
import dev.portcullis.core.component.ComponentRegistry;
import dev.portcullis.core.component.ComponentSettings;
import dev.portcullis.core.component.MutableClock;
import dev.portcullis.core.store.Database;
import dev.portcullis.core.store.TestPostgres;
import dev.portcullis.pki.authority.CertificateAuthority;
import dev.portcullis.pki.authority.MasterKey;
import dev.portcullis.pki.authority.Sealer;
import dev.portcullis.pki.cert.CertificateRequest;
import dev.portcullis.pki.cert.KeyPairs;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Locations on a fresh database: registry, store, admissions against fake gateway links, a clock the test moves. */
final class LocationFixture implements AutoCloseable {

    /** Short, so that tests of a silent gateway do not wait the production five seconds. */
    static final Duration TEST_ACK_TIMEOUT = Duration.ofMillis(300);

    final MutableClock clock = MutableClock.startingNow();
    final Database database = TestPostgres.freshDatabase().open();
    final CertificateAuthority ca = CertificateAuthority.create("test CA", clock);
    final LocationStore store = new LocationStore(database, new Sealer(MasterKey.generate()));
    final AuditLog auditLog = AuditLog.start(database, clock);
    final SecurityEvents events = new SecurityEvents(auditLog);
    final ComponentRegistry registry = new ComponentRegistry(database, ca, clock, Duration.ofHours(1), store, events);
    final FakeGatewayLinks links = new FakeGatewayLinks();
    final UpdateOrder order = new UpdateOrder();
    final Admissions admissions = new Admissions(database, store, links, order, clock, events, TEST_ACK_TIMEOUT);

    /** Registers a gateway serving {@code location}; adopted means it joined (core issued its certificate). */
    String gateway(String name, String location, boolean adopted) {
        String id = registry.register(name, PeerIdentity.Role.GATEWAY, "127.0.0.1", 7443).componentId();
        registry.updateSettings(name, new ComponentSettings.Change(Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.of(location)));
        if (adopted) {
            registry.certificateIssued(id, ca.issueComponent(CertificateRequest.create(KeyPairs.generate(), "component"),
                    PeerIdentity.component(PeerIdentity.Role.GATEWAY, id), List.of("127.0.0.1"), Duration.ofDays(7)));
        }
        return id;
    }

    static WireGuardPublicKey randomKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return WireGuardPublicKey.fromBytes(key);
    }

    @Override
    public void close() {
        auditLog.close();
        database.close();
    }
}
