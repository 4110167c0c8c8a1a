package dev.portcullis.agent.state;

import dev.portcullis.agent.api.EnrollmentApi.Device;
import dev.portcullis.agent.api.EnrollmentApi.Location;
import dev.portcullis.agent.api.EnrollmentApi.User;
import java.util.List;

/**
 * {@code enrollment.json}: what this device knows after enrolling. Holds no secret: the proxy's
 * origin and pin, who enrolled, the device core registered, the public halves of this device's
 * keys and the locations core offered.
 *
 * @param format               version of this file's shape
 * @param origin               the edge-proxy's public origin, {@code https://host[:port]}
 * @param trustAnchorSha256    the pin from the invite link, base64url; every later call trusts only it
 * @param wireguardPublicKey   base64, as {@code wg} prints it
 * @param credentialPublicKey  base64 SPKI DER of the device credential (P-256)
 * @param enrolledAt           ISO-8601 instant
 */
public record EnrollmentRecord(int format, String origin, String trustAnchorSha256, User user, Device device,
                               String wireguardPublicKey, String credentialPublicKey, List<Location> locations,
                               String enrolledAt) {

    public static final int FORMAT = 1;

    public EnrollmentRecord {
        locations = locations == null ? List.of() : List.copyOf(locations);
    }
}
