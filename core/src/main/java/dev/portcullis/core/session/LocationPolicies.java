package dev.portcullis.core.session;

import dev.portcullis.core.audit.Actor;
import dev.portcullis.core.location.Admissions;
import dev.portcullis.core.location.Location;
import dev.portcullis.core.location.Locations;

/**
 * Changing a location's MFA policy, in two steps: store it with {@code location.policy.changed}
 * ({@link Locations#changePolicy}), then end every live session of the location (reason
 * {@code policy_changed}): a session admitted under the old policy must not outlive it.
 */
public final class LocationPolicies {

    private final Locations locations;
    private final Sessions sessions;

    public LocationPolicies(Locations locations, Sessions sessions) {
        this.locations = locations;
        this.sessions = sessions;
    }

    /** The location as it is now and how many sessions were ended. */
    public record Changed(Location location, int sessionsEnded) {
    }

    public Changed change(String location, Locations.PolicyChange change, Actor actor) {
        Location changed = locations.changePolicy(location, change, actor);
        return new Changed(changed, sessions.endAllAt(changed.name(), Admissions.EndReason.POLICY_CHANGED, actor));
    }
}
