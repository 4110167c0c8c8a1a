package dev.portcullis.core.admin;

import dev.portcullis.core.component.Component;
import dev.portcullis.core.component.ComponentAddress;
import dev.portcullis.core.component.ComponentRegistry;
import dev.portcullis.core.component.ComponentSettings;
import dev.portcullis.core.component.ComponentState;
import dev.portcullis.core.error.BadRequestException;
import dev.portcullis.core.error.ConflictException;
import dev.portcullis.core.link.LinkStatus;
import dev.portcullis.core.location.UpdateOrder;
import dev.portcullis.pki.join.JoinToken;
import dev.portcullis.protocol.v1.ConfigUpdate;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Delete;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.Put;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Registering, listing, re-keying, configuring and removing edge proxies and gateways. */
@Controller("/api/v1/components")
@ExecuteOn(TaskExecutors.BLOCKING)
public final class ComponentController {

    private final ComponentRegistry registry;
    private final LinkControl links;

    private final UpdateOrder order;

    public ComponentController(ComponentRegistry registry, LinkControl links, UpdateOrder order) {
        this.registry = registry;
        this.links = links;
        this.order = order;
    }

    @Get
    public List<AdminApi.ComponentView> list() {
        Map<String, LinkStatus> statuses = links.statuses();
        return registry.list().stream()
                .map(c -> AdminViews.component(c, Optional.ofNullable(statuses.get(c.id()))))
                .toList();
    }

    @Post
    public HttpResponse<AdminApi.RegisteredComponent> register(HttpRequest<?> http, @Body AdminApi.NewComponent request) {
        if (request.name() == null || request.role() == null || request.address() == null) {
            throw new BadRequestException("name, role and address are required");
        }
        ComponentAddress address = ComponentAddress.parse(request.address());
        JoinToken token = registry.register(request.name(), AdminViews.role(request.role()), address.host(), address.port(),
                AdminViews.actor(http));
        links.componentRegistered(token.componentId());
        return HttpResponse.created(new AdminApi.RegisteredComponent(token.componentId(), request.name(),
                request.role(), address.toString(), token.reveal(), registry.joinTokenTtl().toSeconds()));
    }

    @Get("/{name}")
    public AdminApi.ComponentView show(@PathVariable String name) {
        Component component = existing(name);
        return AdminViews.component(component, Optional.ofNullable(links.statuses().get(component.id())));
    }

    @Delete("/{name}")
    public AdminApi.RemovedComponent remove(HttpRequest<?> http, @PathVariable String name) {
        String id = registry.remove(name, AdminViews.actor(http));
        links.componentRemoved(id, "removed by an administrator");
        return new AdminApi.RemovedComponent(id, name);
    }

    @Post("/{name}/token")
    public HttpResponse<AdminApi.JoinTokenIssued> reissueToken(HttpRequest<?> http, @PathVariable String name) {
        JoinToken token = registry.reissueToken(name, AdminViews.actor(http));
        return HttpResponse.created(new AdminApi.JoinTokenIssued(name, token.reveal(), registry.joinTokenTtl().toSeconds()));
    }

    @Post("/{name}/rotate")
    public HttpResponse<AdminApi.ComponentView> rotate(@PathVariable String name) {
        Component component = existing(name);
        if (component.state() != ComponentState.ADOPTED) {
            throw new ConflictException("component '" + name + "' has not joined yet; there is no certificate to rotate");
        }
        links.rotateNow(component.id());
        return HttpResponse.<AdminApi.ComponentView>status(HttpStatus.ACCEPTED)
                .body(AdminViews.component(component, Optional.ofNullable(links.statuses().get(component.id()))));
    }

    @Put("/{name}/settings")
    public AdminApi.ComponentView updateSettings(HttpRequest<?> http, @PathVariable String name,
                                                 @Body AdminApi.Settings request) {
        ComponentSettings.Change change = new ComponentSettings.Change(
                Optional.ofNullable(request.publicOrigin()), Optional.ofNullable(request.requestsPerMinutePerAddress()),
                Optional.ofNullable(request.notice()), Optional.ofNullable(request.location()),
                Optional.ofNullable(request.tunnelAddresses()), Optional.ofNullable(request.mtu()),
                Optional.ofNullable(request.deviceEndpoint()));
        // Version bump and push in one ordered step, so the gateway never sees versions out of order.
        Component component = order.inOrder(() -> {
            ConfigUpdate update = registry.updateSettings(name, change, AdminViews.actor(http));
            Component changed = existing(name);
            links.configurationChanged(changed.id(), update);
            return changed;
        });
        return AdminViews.component(component, Optional.ofNullable(links.statuses().get(component.id())));
    }

    private Component existing(String name) {
        return registry.byName(name).orElseThrow(() -> ComponentRegistry.notFound(name));
    }
}
