package dev.portcullis.core.tunnel;

import dev.portcullis.core.audit.SecurityEvents;
import dev.portcullis.core.component.ComponentRegistry;
import dev.portcullis.core.enroll.PostgresCredentialRepository;
import dev.portcullis.core.enroll.SecondFactors;
import dev.portcullis.core.location.Admissions;
import dev.portcullis.core.location.Locations;
import dev.portcullis.core.session.Sessions;
import dev.portcullis.core.store.Database;
import dev.portcullis.pki.authority.Sealer;
import io.micronaut.context.annotation.Factory;
import jakarta.inject.Singleton;
import java.time.Clock;

/** Wires the tunnel-session API on core's database, master key, locations, admissions and sessions. */
@Factory
public class TunnelFactory {

    @Singleton
    TunnelEndpoints tunnelEndpoints(Database database, Clock clock, Sealer sealer, SecurityEvents events, Locations locations,
                                    Admissions admissions, Sessions sessions, ComponentRegistry registry) {
        return create(database, clock, sealer, events, locations, admissions, sessions, registry);
    }

    /** The API with its device authentication (and its in-memory replay cache) and the MFA ceremony. */
    public static TunnelEndpoints create(Database database, Clock clock, Sealer sealer, SecurityEvents events,
                                         Locations locations, Admissions admissions, Sessions sessions,
                                         ComponentRegistry registry) {
        return new TunnelEndpoints(registry, new DeviceAuthentication(database, clock, new ReplayCache(clock)),
                new TunnelMfa(database, clock, new SecondFactors(sealer), events, locations, admissions, sessions,
                        new PostgresCredentialRepository(database)));
    }
}
