package dev.portcullis.core.admin;

import dev.portcullis.core.audit.Actor;
import dev.portcullis.core.component.Component;
import dev.portcullis.core.identity.Device;
import dev.portcullis.core.identity.Group;
import dev.portcullis.core.identity.User;
import dev.portcullis.core.identity.Users;
import dev.portcullis.core.location.Location;
import dev.portcullis.core.location.Locations;
import dev.portcullis.core.location.MfaMethod;
import io.micronaut.http.HttpRequest;
import dev.portcullis.core.component.ComponentSettings;
import dev.portcullis.core.link.LinkStatus;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.core.location.AclText;
import dev.portcullis.core.location.Admissions;
import dev.portcullis.protocol.v1.AclPolicy;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Maps registry and link types to the admin API's JSON records: once, here. */
final class AdminViews {

    private AdminViews() {
    }

    static AdminApi.ComponentView component(Component component, Optional<LinkStatus> link) {
        return new AdminApi.ComponentView(component.id(), component.name(), component.role().urnName(),
                component.address().toString(), component.state().name(),
                component.configVersion(), settings(component.role(), component.settings()),
                component.createdAt().toString(), component.adoptedAt().map(Instant::toString).orElse(null),
                link.map(AdminViews::link).orElse(null),
                component.wireguard().map(w -> new AdminApi.WireGuardInterface(w.publicKey().base64(), w.listenPort(),
                        w.reportedAt().toString())).orElse(null));
    }

    static AdminApi.Settings settings(PeerIdentity.Role role, ComponentSettings settings) {
        if (role == PeerIdentity.Role.EDGE_PROXY) {
            return new AdminApi.Settings(settings.publicOrigin().orElse(null), settings.requestsPerMinutePerAddress(),
                    null, settings.notice(), null, null, null);
        }
        return new AdminApi.Settings(null, null, settings.location().orElse(null), settings.notice(),
                settings.tunnelAddresses(), settings.mtu(), settings.deviceEndpointHost().orElse(null));
    }

    static List<AdminApi.GatewayOutcome> outcomes(List<Admissions.GatewayOutcome> outcomes) {
        return outcomes.stream()
                .map(o -> new AdminApi.GatewayOutcome(o.name(), o.acknowledged(), o.error().orElse(null)))
                .toList();
    }

    static AdminApi.AclView acl(String location, AclPolicy policy, Optional<Instant> updatedAt,
                                List<AdminApi.GatewayOutcome> gateways) {
        return new AdminApi.AclView(location, policy.getRevision(), updatedAt.map(Instant::toString).orElse(null),
                AclText.render(policy).stream()
                        .map(r -> new AdminApi.AclRule(r.sources(), r.destinations(), r.protocol(), r.ports()))
                        .toList(),
                policy.getMasqueradeDestinationsList(), gateways);
    }

    static List<AclText.Rule> rules(List<AdminApi.AclRule> rules) {
        return rules == null ? null : rules.stream()
                .map(r -> r == null ? null : new AclText.Rule(r.sources(), r.destinations(), r.protocol(), r.ports()))
                .toList();
    }

    static AdminApi.Link link(LinkStatus status) {
        return new AdminApi.Link(status.phase().name(), status.since().toString(),
                status.lastError().orElse(null), status.certificateNotAfter().map(Instant::toString).orElse(null),
                status.configVersionAcked(), status.lastTelemetry().map(Instant::toString).orElse(null));
    }

    static AdminApi.UserView user(User user) {
        return new AdminApi.UserView(user.id(), user.name(), user.email(), user.displayName(), user.state().name(),
                user.groups(), user.createdAt().toString(), user.enrolledAt().map(Instant::toString).orElse(null));
    }

    static AdminApi.UserDetails details(Users.UserDetails details) {
        return new AdminApi.UserDetails(user(details.user()), details.passwordSet(), details.totp(),
                details.webauthnCredentials(), details.recoveryCodesLeft(),
                details.inviteExpiresAt().map(Instant::toString).orElse(null),
                details.devices().stream().map(AdminViews::device).toList());
    }

    static AdminApi.GroupView group(Group group) {
        return new AdminApi.GroupView(group.name(), group.members(), group.createdAt().toString());
    }

    static AdminApi.DeviceView device(Device device) {
        return new AdminApi.DeviceView(device.id(), device.user(), device.name(), device.kind().text(),
                device.publicKey().base64(), device.state().name(), device.createdAt().toString(), device.addresses());
    }

    static AdminApi.LocationView location(Location location, Integer devices, List<Locations.LocationGateway> gateways) {
        return new AdminApi.LocationView(location.name(), location.addressPool(), location.dns(), location.routedNetworks(),
                location.mfaMethods().stream().sorted().map(MfaMethod::text).toList(),
                location.sessionLifetime().toSeconds(), location.idleTimeout().toSeconds(),
                location.reauthOnEndpointChange(), location.groups(), location.createdAt().toString(), devices,
                gateways == null ? null : gateways.stream().map(g -> new AdminApi.LocationGateway(g.name(),
                        g.endpoint().orElse(null), g.publicKey().map(k -> k.base64()).orElse(null), g.mtu())).toList());
    }

    /** Who made the admin call, for security events: the admin token's name and the caller's address. */
    static Actor actor(HttpRequest<?> request) {
        String caller = request.getAttribute(AdminAuthFilter.CALLER_ATTRIBUTE, AdminCaller.class)
                .map(AdminCaller::name).orElse("unknown");
        return Actor.admin(caller, request.getRemoteAddress().getAddress().getHostAddress());
    }

    static PeerIdentity.Role role(String name) {
        if ("edge-proxy".equals(name)) {
            return PeerIdentity.Role.EDGE_PROXY;
        }
        if ("gateway".equals(name)) {
            return PeerIdentity.Role.GATEWAY;
        }
        throw new dev.portcullis.core.error.BadRequestException("role must be 'edge-proxy' or 'gateway'");
    }
}
