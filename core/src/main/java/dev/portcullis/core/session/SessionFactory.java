package dev.portcullis.core.session;

import dev.portcullis.core.audit.SecurityEvents;
import dev.portcullis.core.location.Admissions;
import dev.portcullis.core.location.GatewayReports;
import dev.portcullis.core.location.Locations;
import dev.portcullis.core.store.Database;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Factory;
import jakarta.inject.Singleton;
import java.time.Clock;

/** The session beans: the listing/revoking service, location policy changes, and the sweeper (started with core). */
@Factory
final class SessionFactory {

    @Singleton
    Sessions sessions(Database database, Admissions admissions, SecurityEvents events, Clock clock) {
        return new Sessions(database, admissions, events, clock);
    }

    @Singleton
    LocationPolicies locationPolicies(Locations locations, Sessions sessions) {
        return new LocationPolicies(locations, sessions);
    }

    @Context
    @Bean(preDestroy = "close")
    SessionSweeper sessionSweeper(Database database, Sessions sessions, GatewayReports reports, SecurityEvents events,
                                  Clock clock) {
        return new SessionSweeper(database, sessions, reports, events, clock).start();
    }
}
