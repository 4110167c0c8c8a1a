package dev.portcullis.core.admin;

import dev.portcullis.core.error.BadRequestException;
import dev.portcullis.core.identity.Groups;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
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

/** Groups and their members; locations may be restricted to groups. */
@Controller("/api/v1/groups")
@ExecuteOn(TaskExecutors.BLOCKING)
public final class GroupController {

    private final Groups groups;

    public GroupController(Groups groups) {
        this.groups = groups;
    }

    @Post
    public HttpResponse<AdminApi.GroupView> create(HttpRequest<?> http, @Body AdminApi.NewGroup request) {
        if (request.name() == null) {
            throw new BadRequestException("name is required");
        }
        return HttpResponse.created(AdminViews.group(groups.create(request.name(), AdminViews.actor(http))));
    }

    @Get
    public List<AdminApi.GroupView> list() {
        return groups.list().stream().map(AdminViews::group).toList();
    }

    @Delete("/{name}")
    public AdminApi.GroupView delete(HttpRequest<?> http, @PathVariable String name) {
        return AdminViews.group(groups.delete(name, AdminViews.actor(http)));
    }

    @Put("/{name}/members/{user}")
    public AdminApi.GroupView addMember(HttpRequest<?> http, @PathVariable String name, @PathVariable String user) {
        return AdminViews.group(groups.addMember(name, user, AdminViews.actor(http)));
    }

    @Delete("/{name}/members/{user}")
    public AdminApi.GroupView removeMember(HttpRequest<?> http, @PathVariable String name, @PathVariable String user) {
        return AdminViews.group(groups.removeMember(name, user, AdminViews.actor(http)));
    }
}
