package dev.portcullis.core.admin;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import java.util.List;

/**
 * The admin API's JSON bodies, shared by the server and the {@code portcullis-admin} CLI.
 * Request fields are nullable so that a missing field gets a precise error from the controller
 * instead of a generic deserialization failure.
 */
public final class AdminApi {

    private AdminApi() {
    }

    /** POST /api/v1/components */
    @Serdeable
    public record NewComponent(@Nullable String name, @Nullable String role, @Nullable String address) {
    }

    /** 201 answer to POST /api/v1/components: the only response that contains the join token. */
    @Serdeable
    public record RegisteredComponent(String id, String name, String role, String address, String joinToken,
                                      long joinTokenExpiresInSeconds) {
        @Override
        public String toString() {
            return "RegisteredComponent[" + role + " '" + name + "' at " + address + ", joinToken=<redacted>]";
        }
    }

    /** POST /api/v1/components/{name}/token */
    @Serdeable
    public record JoinTokenIssued(String name, String joinToken, long joinTokenExpiresInSeconds) {
        @Override
        public String toString() {
            return "JoinTokenIssued['" + name + "', joinToken=<redacted>]";
        }
    }

    /**
     * {@code state} is PENDING, ADOPTED or REMOVED; {@code link} is absent when core has no link to it;
     * {@code wireguard} is what a gateway last reported about its interface.
     */
    @Serdeable
    public record ComponentView(String id, String name, String role, String address, String state, long configVersion,
                                @Nullable Settings settings, String createdAt, @Nullable String adoptedAt,
                                @Nullable Link link, @Nullable WireGuardInterface wireguard) {
        public ComponentView {
            settings = settings == null ? new Settings(null, null, null, null, null, null, null) : settings;
        }
    }

    /**
     * Both a component's settings and the body of PUT /api/v1/components/{name}/settings (absent = unchanged).
     * Gateways: {@code tunnelAddresses} (CIDRs such as 10.80.0.1/24; [] clears them), {@code mtu} (0 = default)
     * and {@code deviceEndpoint} (the host devices dial, if not the one core dials; "" clears it).
     */
    @Serdeable
    public record Settings(@Nullable String publicOrigin, @Nullable Integer requestsPerMinutePerAddress,
                           @Nullable String location, @Nullable String notice, @Nullable List<String> tunnelAddresses,
                           @Nullable Integer mtu, @Nullable String deviceEndpoint) {
    }

    /** A gateway's WireGuard interface as it reported it: public key (base64) and UDP port (0 = not reported). */
    @Serdeable
    public record WireGuardInterface(String publicKey, int listenPort, String reportedAt) {
    }

    // ---- locations ---------------------------------------------------------------------------------

    /** POST /api/v1/locations/{location}/peers. {@code publicKey} in base64 as {@code wg} prints it. */
    @Serdeable
    public record NewPeer(@Nullable String publicKey, @Nullable List<String> allowedIps, @Nullable Long lifetimeSeconds) {
    }

    /** How one gateway took a change; {@code error} is absent when it acknowledged. */
    @Serdeable
    public record GatewayOutcome(String name, boolean acknowledged, @Nullable String error) {
    }

    /**
     * 201 answer to POST /api/v1/locations/{location}/peers: every gateway acknowledged. The only
     * response that ever contains the session's preshared key (base64).
     */
    @Serdeable
    public record AdmittedPeer(String location, String publicKey, String sessionId, @Nullable List<String> allowedIps,
                               String notAfter, String presharedKey, @Nullable List<GatewayOutcome> gateways) {
        public AdmittedPeer {
            allowedIps = orEmpty(allowedIps);
            gateways = orEmpty(gateways);
        }

        @Override
        public String toString() {
            return "AdmittedPeer[" + location + ", " + publicKey + ", session " + sessionId + "]"; // never the key
        }
    }

    /**
     * 503 answer to POST /api/v1/locations/{location}/peers: a gateway did not acknowledge, so the
     * key was not released and the admission was rolled back; {@code gateways} says which.
     */
    @Serdeable
    public record AdmissionRefused(String error, @Nullable List<GatewayOutcome> gateways) {
        public AdmissionRefused {
            gateways = orEmpty(gateways);
        }
    }

    /** GET /api/v1/locations/{location}/peers: never a preshared key. */
    @Serdeable
    public record PeerView(String publicKey, @Nullable List<String> allowedIps, String sessionId, String notAfter,
                           String createdAt, @Nullable List<PeerOnGateway> gateways) {
        public PeerView {
            allowedIps = orEmpty(allowedIps);
            gateways = orEmpty(gateways);
        }
    }

    /** What a gateway last reported about a peer ({@code lastHandshake} absent: never). */
    @Serdeable
    public record PeerOnGateway(String name, @Nullable String endpoint, @Nullable String lastHandshake, long rxBytes,
                                long txBytes, String reportedAt) {
    }

    /** Answer to DELETE /api/v1/locations/{location}/peers/{publicKey in base64url}. */
    @Serdeable
    public record EvictedPeer(String location, String publicKey, String sessionId, @Nullable List<GatewayOutcome> gateways) {
        public EvictedPeer {
            gateways = orEmpty(gateways);
        }
    }

    /** One ACL rule: {@code protocol} any|tcp|udp|icmp; {@code ports} like "443" or "8000-8080" (tcp/udp only). */
    @Serdeable
    public record AclRule(@Nullable List<String> sources, @Nullable List<String> destinations, @Nullable String protocol,
                          @Nullable List<String> ports) {
        public AclRule {
            sources = orEmpty(sources);
            destinations = orEmpty(destinations);
            ports = orEmpty(ports);
        }
    }

    /** PUT /api/v1/locations/{location}/acl (also the file format of {@code acl set --file}). Default deny. */
    @Serdeable
    public record Acl(@Nullable List<AclRule> rules, @Nullable List<String> masqueradeDestinations) {
    }

    /** A location's ACL; {@code gateways} only in the answer to PUT (how each gateway took it). */
    @Serdeable
    public record AclView(String location, long revision, @Nullable String updatedAt, @Nullable List<AclRule> rules,
                          @Nullable List<String> masqueradeDestinations, @Nullable List<GatewayOutcome> gateways) {
        public AclView {
            rules = orEmpty(rules);
            masqueradeDestinations = orEmpty(masqueradeDestinations);
        }
    }

    // ---- users, groups, invites ---------------------------------------------------------------------

    /** POST /api/v1/users. {@code displayName} defaults to the name. */
    @Serdeable
    public record NewUser(@Nullable String name, @Nullable String email, @Nullable String displayName,
                          @Nullable List<String> groups) {
    }

    /** A user; {@code state} is INVITED, ACTIVE or DISABLED. Never a password hash or a factor's secret. */
    @Serdeable
    public record UserView(String id, String name, String email, String displayName, String state,
                           @Nullable List<String> groups, String createdAt, @Nullable String enrolledAt) {
        public UserView {
            groups = orEmpty(groups);
        }
    }

    /** GET /api/v1/users/{name}: the user, which factors are in place, a pending invite's expiry, devices. */
    @Serdeable
    public record UserDetails(UserView user, boolean passwordSet, boolean totp, int webauthnCredentials,
                              int recoveryCodesLeft, @Nullable String inviteExpiresAt, @Nullable List<DeviceView> devices) {
        public UserDetails {
            devices = orEmpty(devices);
        }
    }

    /** POST /api/v1/users/{name}/invites: lifetime (default 24 h, 1 h to 7 days) and the edge-proxy to point at. */
    @Serdeable
    public record NewInvite(@Nullable Long expiresInSeconds, @Nullable String via) {
    }

    /** 201 answer to POST /api/v1/users/{name}/invites: the only response that ever contains the link. */
    @Serdeable
    public record InviteIssued(String user, String link, String expiresAt, String edgeProxy) {
        @Override
        public String toString() {
            return "InviteIssued[" + user + " via " + edgeProxy + ", link=<redacted>]";
        }
    }

    /** POST /api/v1/groups */
    @Serdeable
    public record NewGroup(@Nullable String name) {
    }

    @Serdeable
    public record GroupView(String name, @Nullable List<String> members, String createdAt) {
        public GroupView {
            members = orEmpty(members);
        }
    }

    // ---- explicit locations and devices -----------------------------------------------------------------

    /**
     * POST /api/v1/locations. {@code mfaMethods}: "totp", "webauthn" (default both); {@code groups}: who may
     * reach it (default everyone); lifetimes in seconds (defaults 8 h and 10 min).
     */
    @Serdeable
    public record NewLocation(@Nullable String name, @Nullable String addressPool, @Nullable List<String> dns,
                              @Nullable List<String> routedNetworks, @Nullable List<String> mfaMethods,
                              @Nullable Long sessionLifetimeSeconds, @Nullable Long idleTimeoutSeconds,
                              @Nullable Boolean reauthOnEndpointChange, @Nullable List<String> groups) {
    }

    /** An explicit location; {@code devices} and {@code gateways} only in GET /api/v1/locations/{location}. */
    @Serdeable
    public record LocationView(String name, String addressPool, @Nullable List<String> dns,
                               @Nullable List<String> routedNetworks, @Nullable List<String> mfaMethods,
                               long sessionLifetimeSeconds, long idleTimeoutSeconds, boolean reauthOnEndpointChange,
                               @Nullable List<String> groups, String createdAt, @Nullable Integer devices,
                               @Nullable List<LocationGateway> gateways) {
        public LocationView {
            dns = orEmpty(dns);
            routedNetworks = orEmpty(routedNetworks);
            mfaMethods = orEmpty(mfaMethods);
            groups = orEmpty(groups);
        }
    }

    /** A gateway of a location: where devices reach it and its key, as it reported them (absent: not yet). */
    @Serdeable
    public record LocationGateway(String name, @Nullable String endpoint, @Nullable String publicKey, int mtu) {
    }

    /**
     * PATCH /api/v1/locations/{location}: the policy fields to change (absent ones stay). {@code groups}
     * empty means everyone. Every live tunnel session of the location is ended (reason policy_changed).
     */
    @Serdeable
    public record LocationPolicyChange(@Nullable List<String> mfaMethods, @Nullable Long sessionLifetimeSeconds,
                                       @Nullable Long idleTimeoutSeconds, @Nullable Boolean reauthOnEndpointChange,
                                       @Nullable List<String> groups) {
    }

    /** Answer to PATCH /api/v1/locations/{location}: the location as it is now and how many sessions were ended. */
    @Serdeable
    public record LocationPolicyChanged(LocationView location, int sessionsEnded) {
    }

    // ---- tunnel sessions ------------------------------------------------------------------------------------

    /** A live MFA tunnel session (GET /api/v1/sessions); never its key. {@code endpoint}: where it first came from. */
    @Serdeable
    public record SessionView(String id, String location, String user, String device, String method, String startedAt,
                              String notAfter, long idleTimeoutSeconds, @Nullable String lastHandshake,
                              @Nullable String endpoint) {
    }

    /** Answer to POST /api/v1/users/{name}/unlock: whether the user had failures or a lockout to lift. */
    @Serdeable
    public record UserUnlocked(String user, boolean hadFailures, boolean wasLocked) {
    }

    /** A device; {@code addresses} maps location to its tunnel address there. */
    @Serdeable
    public record DeviceView(String id, String user, String name, String kind, String publicKey, String state,
                             String createdAt, @Nullable java.util.Map<String, String> addresses) {
        public DeviceView {
            addresses = addresses == null ? java.util.Map.of()
                    : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(addresses));
        }
    }

    /** PUT /api/v1/devices/{user}/{device}/name */
    @Serdeable
    public record DeviceRename(@Nullable String name) {
    }

    /** A component link as the supervisor reports it; {@code phase} is JOINING, CONNECTING, CONNECTED or REMOVED. */
    @Serdeable
    public record Link(String phase, String since, @Nullable String lastError, @Nullable String certificateNotAfter,
                       long configVersionAcked, @Nullable String lastTelemetry) {
    }

    @Serdeable
    public record RemovedComponent(String id, String name) {
    }

    @Serdeable
    public record Status(String version, String caFingerprint, @Nullable List<ComponentView> components) {
        public Status {
            components = components == null ? List.of() : List.copyOf(components);
        }
    }

    /** POST /api/v1/admin-tokens */
    @Serdeable
    public record NewAdminToken(@Nullable String name) {
    }

    /** 201 answer to POST /api/v1/admin-tokens: the only response that contains the token. */
    @Serdeable
    public record AdminTokenIssued(String id, String name, String token) {
        @Override
        public String toString() {
            return "AdminTokenIssued[" + id + " '" + name + "', token=<redacted>]";
        }
    }

    @Serdeable
    public record Health(String status) {
    }

    /** Micronaut leaves empty lists out of the JSON; readers get them back as empty, never null. */
    private static <T> List<T> orEmpty(List<T> list) {
        return list == null ? List.of() : List.copyOf(list);
    }
}
