package dev.portcullis.core.component;

import dev.portcullis.core.audit.AuditLog;
import dev.portcullis.core.audit.SecurityEvents;
import dev.portcullis.core.location.LocationStore;
import dev.portcullis.core.store.Database;
import dev.portcullis.core.store.TestPostgres;
import dev.portcullis.pki.authority.CertificateAuthority;
import dev.portcullis.pki.authority.MasterKey;
import dev.portcullis.pki.authority.Sealer;
import dev.portcullis.pki.cert.CertificateRequest;
import dev.portcullis.pki.cert.KeyPairs;
import dev.portcullis.pki.cert.PeerIdentity;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

/** A registry on a fresh database, a CA and a clock the test moves. */
final class RegistryFixture implements AutoCloseable {

    final MutableClock clock = MutableClock.startingNow();
    final Database database = TestPostgres.freshDatabase().open();
    final CertificateAuthority ca = CertificateAuthority.create("test CA", clock);
    final AuditLog auditLog = AuditLog.start(database, clock);
    final SecurityEvents events = new SecurityEvents(auditLog);
    final ComponentRegistry registry = new ComponentRegistry(database, ca, clock, Duration.ofHours(1),
            new LocationStore(database, new Sealer(MasterKey.generate())), events);

    String register(String name, PeerIdentity.Role role) {
        return registry.register(name, role, "127.0.0.1", 7443).componentId();
    }

    X509Certificate issue(String componentId, PeerIdentity.Role role) {
        X509Certificate certificate = ca.issueComponent(CertificateRequest.create(KeyPairs.generate(), "component"),
                PeerIdentity.component(role, componentId), List.of("127.0.0.1"), Duration.ofDays(7));
        registry.certificateIssued(componentId, certificate);
        return certificate;
    }

    @Override
    public void close() {
        auditLog.close();
        database.close();
    }
}
