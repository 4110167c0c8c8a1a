package dev.portcullis.core.admin;

import dev.portcullis.core.component.Component;
import dev.portcullis.core.component.ComponentRegistry;
import dev.portcullis.core.error.BadRequestException;
import dev.portcullis.core.location.AclText;
import dev.portcullis.core.location.Admissions;
import dev.portcullis.core.location.GatewayReports;
import dev.portcullis.core.error.NotFoundException;
import dev.portcullis.core.location.Location;
import dev.portcullis.core.location.LocationName;
import dev.portcullis.core.location.Locations;
import dev.portcullis.core.location.LocationStore;
import dev.portcullis.core.session.LocationPolicies;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import dev.portcullis.protocol.v1.AclPolicy;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Delete;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Patch;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.Put;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * Explicit locations (address pool, DNS, routes, MFA policy, groups), and a location's admitted peers and ACL. Admitting waits (bounded) for every gateway of the
 * location to acknowledge; only then does the answer carry the session's preshared key.
 */
@Controller("/api/v1/locations")
@ExecuteOn(TaskExecutors.BLOCKING)
public final class LocationController {

    private final Admissions admissions;
    private final LocationStore locations;
    private final Locations explicit;
    private final ComponentRegistry registry;
    private final GatewayReports reports;
    private final Clock clock;
    private final LocationPolicies policies;

    public LocationController(Admissions admissions, LocationStore locations, Locations explicit, ComponentRegistry registry,
                              GatewayReports reports, Clock clock, LocationPolicies policies) {
        this.policies = policies;
        this.admissions = admissions;
        this.locations = locations;
        this.explicit = explicit;
        this.registry = registry;
        this.reports = reports;
        this.clock = clock;
    }

    /** Creates an explicit location: address pool, DNS, routes, MFA policy and who may reach it. */
    @Post
    public HttpResponse<AdminApi.LocationView> create(HttpRequest<?> http, @Body AdminApi.NewLocation request) {
        if (request.name() == null || request.addressPool() == null) {
            throw new BadRequestException("name and addressPool are required");
        }
        Location created = explicit.create(new Locations.NewLocation(request.name(), request.addressPool(), request.dns(),
                request.routedNetworks(), request.mfaMethods(),
                Optional.ofNullable(request.sessionLifetimeSeconds()).map(Duration::ofSeconds),
                Optional.ofNullable(request.idleTimeoutSeconds()).map(Duration::ofSeconds),
                Boolean.TRUE.equals(request.reauthOnEndpointChange()), request.groups()), AdminViews.actor(http));
        return HttpResponse.created(AdminViews.location(created, 0, explicit.gateways(created.name())));
    }

    /** The explicit locations (those that only a gateway's settings or an ACL name are not listed). */
    @Get
    public List<AdminApi.LocationView> list() {
        return explicit.list().stream().map(l -> AdminViews.location(l, null, null)).toList();
    }

    @Get("/{location}")
    public AdminApi.LocationView show(@PathVariable String location) {
        Location found = explicit.byName(location).orElseThrow(() -> LocationName.isValid(location) && locations.known(location)
                ? new NotFoundException("location '" + location + "' exists only through its gateways or ACL; define it with "
                        + "`portcullis-admin location add " + location + " --pool CIDR` to enroll devices into it")
                : LocationName.notFound(location));
        return AdminViews.location(found, explicit.deviceCount(found.name()), explicit.gateways(found.name()));
    }

    /**
     * Changes the location's MFA policy or groups; every live tunnel session of the location is
     * ended at once (reason policy_changed), so none outlives the policy it was admitted under.
     */
    @Patch("/{location}")
    public AdminApi.LocationPolicyChanged changePolicy(HttpRequest<?> http, @PathVariable String location,
                                                       @Body AdminApi.LocationPolicyChange request) {
        LocationPolicies.Changed changed = policies.change(location, new Locations.PolicyChange(
                Optional.ofNullable(request.mfaMethods()),
                Optional.ofNullable(request.sessionLifetimeSeconds()).map(Duration::ofSeconds),
                Optional.ofNullable(request.idleTimeoutSeconds()).map(Duration::ofSeconds),
                Optional.ofNullable(request.reauthOnEndpointChange()), Optional.ofNullable(request.groups())),
                AdminViews.actor(http));
        return new AdminApi.LocationPolicyChanged(AdminViews.location(changed.location(), null, null), changed.sessionsEnded());
    }

    @Post("/{location}/peers")
    public HttpResponse<?> admit(HttpRequest<?> http, @PathVariable String location, @Body AdminApi.NewPeer request) {
        if (request.publicKey() == null || request.allowedIps() == null) {
            throw new BadRequestException("publicKey and allowedIps are required");
        }
        WireGuardPublicKey publicKey = publicKey(request.publicKey(), Base64.getDecoder());
        Duration lifetime = request.lifetimeSeconds() == null ? null : Duration.ofSeconds(request.lifetimeSeconds());
        Admissions.Admission admission = admissions.admit(location, publicKey, request.allowedIps(), lifetime,
                AdminViews.actor(http));
        List<AdminApi.GatewayOutcome> gateways = AdminViews.outcomes(admission.gateways());
        if (admission.presharedKey().isEmpty()) {
            String missing = String.join(", ", admission.gateways().stream().filter(g -> !g.acknowledged())
                    .map(g -> "'" + g.name() + "' (" + g.error().orElse("no answer") + ")").toList());
            return HttpResponse.status(HttpStatus.SERVICE_UNAVAILABLE).body(new AdminApi.AdmissionRefused(
                    "not admitted: gateway " + missing + " did not acknowledge, so the preshared key was not released "
                            + "and the admission was rolled back; admit again once every gateway of '" + location
                            + "' is connected", gateways));
        }
        return HttpResponse.created(new AdminApi.AdmittedPeer(location, publicKey.base64(), admission.sessionId(),
                admission.allowedIps(), admission.notAfter().toString(),
                Base64.getEncoder().encodeToString(admission.presharedKey().get().bytes()), gateways));
    }

    @Get("/{location}/peers")
    public List<AdminApi.PeerView> peers(@PathVariable String location) {
        String valid = known(location);
        List<Component> gateways = registry.list().stream()
                .filter(c -> c.role() == PeerIdentity.Role.GATEWAY && c.settings().location().equals(Optional.of(valid)))
                .toList();
        return locations.peers(valid, clock.instant()).stream().map(peer -> {
            List<AdminApi.PeerOnGateway> seen = new ArrayList<>();
            for (Component gateway : gateways) {
                GatewayReports.PeerReport report = reports.peers(gateway.id()).get(peer.publicKey());
                if (report != null) {
                    seen.add(new AdminApi.PeerOnGateway(gateway.name(), report.endpoint().isEmpty() ? null : report.endpoint(),
                            report.lastHandshake().map(Instant::toString).orElse(null), report.rxBytes(), report.txBytes(),
                            report.reportedAt().toString()));
                }
            }
            return new AdminApi.PeerView(peer.publicKey().base64(), peer.allowedIps(), peer.sessionId(),
                    peer.notAfter().toString(), peer.createdAt().toString(), seen);
        }).toList();
    }

    /** The key is in base64url in the path (standard base64 has '/'); padding optional. */
    @Delete("/{location}/peers/{publicKey}")
    public AdminApi.EvictedPeer evict(HttpRequest<?> http, @PathVariable String location, @PathVariable String publicKey) {
        WireGuardPublicKey key = publicKey(publicKey, Base64.getUrlDecoder());
        Admissions.Eviction eviction = admissions.evict(location, key, AdminViews.actor(http));
        return new AdminApi.EvictedPeer(location, key.base64(), eviction.sessionId(), AdminViews.outcomes(eviction.gateways()));
    }

    @Put("/{location}/acl")
    public AdminApi.AclView setAcl(HttpRequest<?> http, @PathVariable String location, @Body AdminApi.Acl request) {
        LocationName.valid(location);
        AclPolicy policy = AclText.parse(AdminViews.rules(request.rules()), request.masqueradeDestinations());
        Admissions.AclChange change = admissions.setAcl(location, policy, AdminViews.actor(http));
        return AdminViews.acl(location, change.policy(), Optional.of(clock.instant()), AdminViews.outcomes(change.gateways()));
    }

    @Get("/{location}/acl")
    public AdminApi.AclView acl(@PathVariable String location) {
        String valid = known(location);
        LocationStore.StoredAcl stored = locations.acl(valid);
        return AdminViews.acl(valid, stored.policy(), stored.updatedAt(), null);
    }

    private String known(String location) {
        if (!LocationName.isValid(location) || !locations.known(location)) {
            throw LocationName.notFound(location);
        }
        return location;
    }

    private static WireGuardPublicKey publicKey(String text, Base64.Decoder decoder) {
        try {
            return WireGuardPublicKey.fromBytes(decoder.decode(text.strip()));
        } catch (IllegalArgumentException e) {
            throw new BadRequestException("publicKey must be a 32-byte WireGuard public key in base64 (base64url in paths)");
        }
    }
}
