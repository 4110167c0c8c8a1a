package dev.portcullis.core.identity;

import dev.portcullis.core.audit.Actor;
import dev.portcullis.core.audit.SecurityEvents;
import dev.portcullis.core.location.Admissions;
import dev.portcullis.core.location.LocationStore;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends the tunnel sessions of devices that were disabled or deleted, or whose user was: each key is
 * evicted at every location where it is an admitted peer (deleted in core with a
 * {@code tunnel.session.evicted} record naming the reason, then pushed to every gateway of the
 * location). Runs after the change that disabled the device committed, so a session started in
 * between is refused by the device state and the eviction catches what existed before.
 */
public final class TunnelEvictions {

    private static final Logger LOG = LoggerFactory.getLogger(TunnelEvictions.class);

    private final LocationStore store;
    private final Admissions admissions;
    private final Clock clock;
    private final SecurityEvents events;

    public TunnelEvictions(LocationStore store, Admissions admissions, Clock clock, SecurityEvents events) {
        this.store = store;
        this.admissions = admissions;
        this.clock = clock;
        this.events = events;
    }

    /**
     * Evicts every key everywhere it is admitted, recording {@code reason} (device_disabled or
     * user_disabled) for {@code actor}; returns "location: key" for each eviction done.
     */
    public List<String> evict(Collection<WireGuardPublicKey> keys, Admissions.EndReason reason, Actor actor) {
        Admissions.SessionEnd end = new Admissions.SessionEnd(reason, actor, events);
        List<String> evicted = new ArrayList<>();
        for (WireGuardPublicKey key : keys) {
            for (String location : store.locationsAdmitting(key, clock.instant())) {
                try {
                    if (admissions.evict(location, key, Optional.empty(), end).isPresent()) {
                        evicted.add(location + ": " + key);
                    }
                    // Empty: expired or evicted meanwhile, nothing left to do.
                } catch (RuntimeException e) {
                    // The push may have failed after the row went; the gateway gets core's truth on its next snapshot.
                    LOG.warn("evicting peer {} at location '{}' failed: {}", key, location, e.getClass().getSimpleName(), e);
                }
            }
        }
        return evicted;
    }
}
