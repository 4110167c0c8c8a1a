package dev.portcullis.core.identity;

import dev.portcullis.core.error.NotFoundException;
import dev.portcullis.core.location.Admissions;
import dev.portcullis.core.location.LocationStore;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends the tunnel sessions of devices that were disabled or deleted, or whose user was: each key is
 * evicted at every location where it is an admitted peer (deleted in core, then pushed to every
 * gateway of the location). Runs after the change that disabled the device committed, so a session
 * started in between is refused by the device state and the eviction catches what existed before.
 */
public final class TunnelEvictions {

    private static final Logger LOG = LoggerFactory.getLogger(TunnelEvictions.class);

    private final LocationStore store;
    private final Admissions admissions;
    private final Clock clock;

    public TunnelEvictions(LocationStore store, Admissions admissions, Clock clock) {
        this.store = store;
        this.admissions = admissions;
        this.clock = clock;
    }

    /** Evicts every key everywhere it is admitted; returns "location: key" for each eviction done. */
    public List<String> evict(Collection<WireGuardPublicKey> keys) {
        List<String> evicted = new ArrayList<>();
        for (WireGuardPublicKey key : keys) {
            for (String location : store.locationsAdmitting(key, clock.instant())) {
                try {
                    admissions.evict(location, key);
                    evicted.add(location + ": " + key);
                } catch (NotFoundException alreadyGone) {
                    // Expired or evicted meanwhile: nothing left to do.
                } catch (RuntimeException e) {
                    // The row may be gone while a push failed; the gateway gets core's truth on its next snapshot.
                    LOG.warn("evicting peer {} at location '{}' failed: {}", key, location, e.getClass().getSimpleName(), e);
                }
            }
        }
        return evicted;
    }
}
