package dev.portcullis.core;

import dev.portcullis.core.admin.LinkControl;
import dev.portcullis.core.link.LinkStatus;
import dev.portcullis.core.link.LinkSupervisor;
import dev.portcullis.core.location.GatewayLinks;
import dev.portcullis.protocol.v1.ConfigUpdate;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.event.ApplicationEventListener;
import io.micronaut.runtime.server.event.ServerStartupEvent;
import jakarta.inject.Singleton;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** The admin API's and the admissions' view of the link supervisor; starts the links once the admin API is up. */
@Singleton
@Requires(property = CoreFactory.LINKS_ENABLED, notEquals = "false")
public final class SupervisedLinks implements LinkControl, GatewayLinks, ApplicationEventListener<ServerStartupEvent> {

    private final LinkSupervisor supervisor;

    public SupervisedLinks(LinkSupervisor supervisor) {
        this.supervisor = supervisor;
    }

    @Override
    public void onApplicationEvent(ServerStartupEvent event) {
        supervisor.start();
    }

    @Override
    public void componentRegistered(String componentId) {
        supervisor.componentRegistered(componentId);
    }

    @Override
    public void componentRemoved(String componentId, String reason) {
        supervisor.componentRemoved(componentId, reason);
    }

    @Override
    public void configurationChanged(String componentId, ConfigUpdate update) {
        supervisor.configurationChanged(componentId, update);
    }

    @Override
    public CompletableFuture<Void> pushUpdate(String componentId, ConfigUpdate update) {
        return supervisor.pushUpdate(componentId, update);
    }

    @Override
    public void rotateNow(String componentId) {
        supervisor.rotateNow(componentId);
    }

    @Override
    public Map<String, LinkStatus> statuses() {
        return supervisor.statuses();
    }
}
