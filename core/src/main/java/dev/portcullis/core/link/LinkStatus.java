package dev.portcullis.core.link;

import java.time.Instant;
import java.util.Optional;

/**
 * A snapshot of one component link, for the admin API's status view.
 *
 * @param componentId           the component
 * @param phase                 what the link is doing
 * @param since                 when it entered that phase
 * @param lastError             safe-to-show reason of the last failure, empty if none
 * @param certificateNotAfter   expiry of the component's current certificate, if adopted
 * @param configVersionAcked    last configuration version the component acknowledged
 * @param lastTelemetry         when the component last sent telemetry, if ever
 */
public record LinkStatus(String componentId, LinkPhase phase, Instant since, Optional<String> lastError,
                         Optional<Instant> certificateNotAfter, long configVersionAcked,
                         Optional<Instant> lastTelemetry) {
}
